import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseWwwAuthenticate } from './www-authenticate.js';

const numRuns = Number(process.env.LADING_FUZZ_RUNS) || 10_000;

const tokenChars = "!#$%&'*+-.^_`|~0123456789ABCXYZabcxyz";
const token = fc.string({ unit: fc.constantFrom(...tokenChars), minLength: 1, maxLength: 8 });
/** Parameter names, Object.prototype's among them. */
const name = fc.oneof(token, fc.constantFrom('__proto__', 'constructor', 'toString', 'realm', 'Realm'));
const value = fc.string({
  unit: fc.oneof(
    fc.constantFrom('"', '\\', ',', '=', ' '),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  ),
  maxLength: 12,
});
const challenge = fc.record({
  scheme: token,
  params: fc.uniqueArray(fc.tuple(name, value), { selector: ([n]) => n.toLowerCase(), maxLength: 4 }),
});

/** The header a server would send: quoted-string values with `"` and `\\` escaped (RFC 7230 §3.2.6). */
function header(challenges: readonly { scheme: string; params: [string, string][] }[]): string {
  return challenges
    .map(
      (c) =>
        `${c.scheme}${c.params.length > 0 ? ' ' : ''}${c.params.map(([n, v]) => `${n}="${v.replace(/["\\]/g, (x) => `\\${x}`)}"`).join(', ')}`,
    )
    .join(', ');
}

describe('parseWwwAuthenticate under random input', () => {
  it('reads back every challenge a server can write, parameter names lower-cased', () => {
    fc.assert(
      fc.property(fc.array(challenge, { maxLength: 3 }), (challenges) => {
        const parsed = parseWwwAuthenticate(header(challenges));
        expect(parsed).toHaveLength(challenges.length);
        challenges.forEach((c, i) => {
          const got = parsed[i] as { scheme: string; params: Record<string, string> };
          expect(got.scheme).toBe(c.scheme.toLowerCase());
          expect(Object.getPrototypeOf(got.params)).toBe(Object.prototype);
          const sorted = (e: string[][]) => e.sort((a, b) => ((a[0] as string) < (b[0] as string) ? -1 : 1));
          const want = c.params.map(([n, v]) => [n.toLowerCase(), v]);
          expect(sorted(Object.entries(got.params))).toEqual(sorted(want));
        });
      }),
      { numRuns },
    );
  });

  it('anything else: challenges of strings, never a throw, in linear time', () => {
    const input = fc.oneof(
      fc.string({ unit: fc.constantFrom('"', '\\', ',', '=', ' ', '\t', 'a', 'B'), maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 100 }),
    );
    fc.assert(
      fc.property(input, (s) => {
        for (const c of parseWwwAuthenticate(s)) {
          expect(typeof c.scheme).toBe('string');
          expect(Object.getPrototypeOf(c.params)).toBe(Object.prototype);
          for (const v of Object.values(c.params)) expect(typeof v).toBe('string');
        }
      }),
      { numRuns },
    );
    const long = `Bearer ${'a="\\'.repeat(20_000)}`;
    const started = performance.now();
    parseWwwAuthenticate(long);
    expect(performance.now() - started).toBeLessThan(5000);
  });
});
