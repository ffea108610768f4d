import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from './errors.js';
import { formatPlatform, normalizePlatform, parsePlatform, platformMatches } from './platform.js';

const numRuns = Number(process.env.LADING_FUZZ_RUNS) || 10_000;

/** Names of Object.prototype's members: a lookup table that is a plain object finds them. */
const prototypeNames = ['constructor', '__proto__', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf'];
const part = fc.oneof(
  fc.constantFrom('linux', 'windows', 'amd64', 'arm64', 'arm', 'x86_64', 'armhf', 'v7', 'v8', '8', 'AMD64'),
  fc.constantFrom(...prototypeNames),
  fc.string({ maxLength: 10 }),
);
const spec = fc.oneof(
  fc.array(part, { minLength: 1, maxLength: 4 }).map((p) => p.join('/')),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

describe('parsePlatform under random input', () => {
  it('gives a normalised platform of strings or an InvalidInputError', () => {
    fc.assert(
      fc.property(spec, (s) => {
        let p: ReturnType<typeof parsePlatform>;
        try {
          p = parsePlatform(s);
        } catch (e) {
          expect(e).toBeInstanceOf(InvalidInputError);
          return;
        }
        for (const v of [p.os, p.architecture, p.variant ?? '']) expect(typeof v).toBe('string');
        expect(normalizePlatform(p)).toEqual(p);
        expect(parsePlatform(formatPlatform(p))).toEqual(p);
        expect(platformMatches(p, p)).toBe(true);
      }),
      { numRuns },
    );
  });

  it('reads architectures named like Object.prototype members as themselves', () => {
    for (const name of prototypeNames.filter((n) => /^[A-Za-z0-9_.-]+$/.test(n))) {
      expect(parsePlatform(`linux/${name}`).architecture).toBe(name.toLowerCase());
    }
  });
});
