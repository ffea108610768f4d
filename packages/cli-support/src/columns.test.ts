import { describe, expect, it } from 'vitest';
import { alignRows } from './columns.js';

describe('alignRows', () => {
  it('pads every column but the last to its widest cell plus the gap, and trims the line end', () => {
    expect(
      alignRows(
        [
          ['REPOSITORY', 'TAG', 'SIZE'],
          ['a', 'latest', ''],
          ['registry.example/app', '1', '3 MB'],
        ],
        2,
      ),
    ).toEqual([
      'REPOSITORY            TAG     SIZE',
      'a                     latest',
      'registry.example/app  1       3 MB',
    ]);
  });

  it('takes rows of different lengths: a column is as wide as its widest cell in any row', () => {
    expect(alignRows([['x', 'y'], ['long']], 3)).toEqual(['x      y', 'long']);
  });
});
