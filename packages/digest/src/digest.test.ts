import { describe, expect, it } from 'vitest';
import { digestAlgorithm, digestEncoded, isDigest, parseDigest } from './digest.js';
import { InvalidInputError, isLadingError } from './errors.js';

const hex64 = 'a'.repeat(64);

describe('parseDigest', () => {
  it.each([`sha256:${hex64}`, `sha512:${'0123456789abcdef'.repeat(8)}`, `blake3:${hex64}`])(
    'accepts %s',
    (s) => {
      expect(parseDigest(s)).toBe(s);
      expect(isDigest(s)).toBe(true);
    },
  );

  it.each([
    ['empty', ''],
    ['no colon', hex64],
    ['empty algorithm', `:${hex64}`],
    ['empty encoded', 'sha256:'],
    ['uppercase hex', `sha256:${'A'.repeat(64)}`],
    ['short sha256', `sha256:${'a'.repeat(63)}`],
    ['long sha256', `sha256:${'a'.repeat(65)}`],
    ['sha512 with 64 hex', `sha512:${hex64}`],
    ['non-hex', `sha256:${'g'.repeat(64)}`],
    ['uppercase algorithm', `SHA256:${hex64}`],
    ['separator at start of algorithm', `+sha256:${hex64}`],
    ['double separator', `sha256++x:${hex64}`],
    ['space', `sha256: ${hex64}`],
    ['trailing newline', `sha256:${hex64}\n`],
  ])('refuses %s with InvalidInputError', (_name, s) => {
    expect(() => parseDigest(s)).toThrow(InvalidInputError);
    expect(isDigest(s)).toBe(false);
  });

  it('refuses unknown algorithms unless asked, with a message naming the algorithm', () => {
    const s = 'multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8';
    try {
      parseDigest(s);
      expect.unreachable();
    } catch (e) {
      expect(isLadingError(e)).toBe(true);
      expect((e as InvalidInputError).code).toBe('DIGEST_UNSUPPORTED');
      expect((e as Error).message).toContain('multihash+base58');
    }
    expect(parseDigest(s, { allowUnknown: true })).toBe(s);
  });

  it('splits algorithm and encoded part', () => {
    const d = parseDigest(`sha256:${hex64}`);
    expect(digestAlgorithm(d)).toBe('sha256');
    expect(digestEncoded(d)).toBe(hex64);
  });

  it('refuses non-strings as typed errors', () => {
    expect(() => parseDigest(42 as unknown as string)).toThrow(InvalidInputError);
  });
});
