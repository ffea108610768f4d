import { describe, expect, it } from 'vitest';
import { compareUtf8 } from './utf8-order.js';

describe('compareUtf8: Go string order', () => {
  it('orders by UTF-8 bytes where UTF-16 code units disagree', () => {
    // U+E000 is EE 80 80, U+10000 is F0 90 80 80: in UTF-8 the supplementary character is greater, in UTF-16
    // (D800 DC00 < E000) it is smaller.
    expect(compareUtf8('\u{10000}', '\uE000')).toBeGreaterThan(0);
    expect('\u{10000}' < '\uE000').toBe(true);
  });
  it('agrees with plain order for ASCII and is zero for equal strings', () => {
    expect(['b', 'B', 'a', '_'].sort(compareUtf8)).toEqual(['B', '_', 'a', 'b']);
    expect(compareUtf8('é', 'é')).toBe(0);
  });
  it('puts a prefix first', () => {
    expect(compareUtf8('ab', 'abc')).toBeLessThan(0);
  });
});
