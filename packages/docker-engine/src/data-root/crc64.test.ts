import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Crc64 } from './crc64.js';

/** The textbook bit-at-a-time CRC-64 with the reversed ISO polynomial, as Go's hash/crc64 defines it. */
function reference(data: Uint8Array): bigint {
  const mask = (1n << 64n) - 1n;
  let crc = mask;
  for (const b of data) {
    crc ^= BigInt(b);
    for (let i = 0; i < 8; i++) crc = crc & 1n ? (crc >> 1n) ^ 0xd800000000000000n : crc >> 1n;
  }
  return ~crc & mask;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('Crc64 (ISO, as Go computes it)', () => {
  it('gives the catalogued check value of CRC-64/GO-ISO for "123456789"', () => {
    const c = new Crc64();
    c.update(new TextEncoder().encode('123456789'));
    expect(hex(c.sum())).toBe('b90956c775a41001');
  });

  it('matches the bit-at-a-time definition for every length and split', () => {
    const data = randomBytes(300);
    for (const n of [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 300]) {
      const c = new Crc64();
      c.update(data.subarray(0, n));
      expect(hex(c.sum())).toBe(reference(data.subarray(0, n)).toString(16).padStart(16, '0'));
    }
    const c = new Crc64();
    for (let off = 0; off < data.length; ) {
      const step = 1 + (off % 13);
      c.update(data.subarray(off, off + step));
      off += step;
    }
    expect(hex(c.sum())).toBe(reference(data).toString(16).padStart(16, '0'));
  });

  it('of nothing is zero (what tar-split stores for a header-only entry with a size)', () => {
    expect(hex(new Crc64().sum())).toBe('0000000000000000');
  });
});
