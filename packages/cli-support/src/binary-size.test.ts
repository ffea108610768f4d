import { describe, expect, it } from 'vitest';
import { binarySize } from './binary-size.js';

describe('binarySize', () => {
  it('steps by 1024 with one decimal above bytes', () => {
    expect(binarySize(0)).toBe('0 B');
    expect(binarySize(1023)).toBe('1023 B');
    expect(binarySize(1024)).toBe('1.0 KiB');
    expect(binarySize(1536)).toBe('1.5 KiB');
    expect(binarySize(5 * 1024 * 1024)).toBe('5.0 MiB');
    expect(binarySize(3 * 1024 ** 4)).toBe('3.0 TiB');
    expect(binarySize(2048 * 1024 ** 4)).toBe('2048.0 TiB');
  });
});
