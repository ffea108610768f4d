import { describe, expect, it } from 'vitest';
import { formatGoTime } from './go-time.js';

// Go's time.RFC3339Nano is "2006-01-02T15:04:05.999999999Z07:00": the 9s drop trailing zeros, and a whole second
// has no fraction at all; a UTC time writes its zone as Z.
describe('formatGoTime', () => {
  it('drops a zero fraction', () => {
    expect(formatGoTime(new Date(Date.UTC(2024, 0, 2, 3, 4, 5)))).toBe('2024-01-02T03:04:05Z');
  });
  it('drops trailing zeros of the fraction', () => {
    expect(formatGoTime(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 500)))).toBe('2024-01-02T03:04:05.5Z');
    expect(formatGoTime(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 120)))).toBe('2024-01-02T03:04:05.12Z');
    expect(formatGoTime(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 7)))).toBe('2024-01-02T03:04:05.007Z');
  });
  it('formats the epoch as Go formats time.Unix(0, 0).UTC()', () => {
    expect(formatGoTime(new Date(0))).toBe('1970-01-01T00:00:00Z');
  });
  it('refuses an invalid date', () => {
    expect(() => formatGoTime(new Date(Number.NaN))).toThrow(RangeError);
  });
});
