import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDigest } from './digest.js';
import { InvalidInputError } from './errors.js';
import { printable } from './printable.js';

const numRuns = Number(process.env.LADING_FUZZ_RUNS) || 10_000;

const hexOf = (n: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });
const algorithm = fc.constantFrom(
  'sha256',
  'sha512',
  'blake3',
  'md5',
  'sha256+b64u',
  'SHA256',
  'sha-256',
  '',
);
const encoded = fc.oneof(
  hexOf(64),
  hexOf(128),
  hexOf(63),
  hexOf(64).map((h) => h.toUpperCase()),
  fc.string({ maxLength: 140 }),
);
/** Strings near the grammar (an algorithm, a colon, an encoded part) and anything at all. */
const digestLike = fc.oneof(
  fc.tuple(algorithm, fc.constantFrom(':', '', '::', ' :'), encoded).map(([a, c, e]) => `${a}${c}${e}`),
  fc.string({ unit: 'binary', maxLength: 200 }),
);

/** The rule written out again, independently of the parser: what a digest lading can verify looks like. */
function isVerifiable(s: string): boolean {
  const [alg, enc, ...rest] = s.split(':');
  if (rest.length > 0 || enc === undefined) return false;
  const want = alg === 'sha512' ? 128 : alg === 'sha256' || alg === 'blake3' ? 64 : -1;
  return enc.length === want && [...enc].every((c) => '0123456789abcdef'.includes(c));
}

describe('parseDigest under random input', () => {
  it('returns the input for exactly the verifiable digests and throws only InvalidInputError', () => {
    fc.assert(
      fc.property(digestLike, (s) => {
        let parsed: string | undefined;
        try {
          parsed = parseDigest(s);
        } catch (e) {
          expect(e).toBeInstanceOf(InvalidInputError);
          expect(['DIGEST_INVALID', 'DIGEST_UNSUPPORTED']).toContain((e as InvalidInputError).code);
          // Whatever it quotes from the input is printable once it reaches a terminal.
          expect(printable((e as Error).message)).not.toMatch(/\p{Cc}/u);
        }
        expect(parsed === s).toBe(isVerifiable(s));
      }),
      { numRuns },
    );
  });

  it('allowUnknown admits any grammatical algorithm, still only typed errors', () => {
    fc.assert(
      fc.property(digestLike, (s) => {
        try {
          expect(parseDigest(s, { allowUnknown: true })).toBe(s);
          expect(s).toMatch(/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/);
        } catch (e) {
          expect(e).toBeInstanceOf(InvalidInputError);
        }
      }),
      { numRuns },
    );
  });
});
