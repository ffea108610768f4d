import { InvalidInputError } from '@lading/digest';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  familiarString,
  formatReference,
  parseNormalizedReference,
  parseReference,
  type Reference,
} from './reference.js';

const numRuns = Number(process.env.LADING_FUZZ_RUNS) || 10_000;

const lower = fc.string({ unit: fc.constantFrom(...'abcz019'), minLength: 1, maxLength: 6 });
const separator = fc.constantFrom('.', '_', '__', '-', '--');
const component = fc
  .tuple(lower, fc.array(fc.tuple(separator, lower), { maxLength: 2 }))
  .map(([head, rest]) => head + rest.map(([s, c]) => s + c).join(''));
const domain = fc.oneof(
  fc.constantFrom('localhost', 'registry.example', 'Reg.Example', '127.0.0.1', '[::1]', 'a-b.c'),
  fc.tuple(lower, lower).map(([a, b]) => `${a}.${b}`),
);
const port = fc.oneof(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 65536, max: 999_999_999 }));
const tag = fc
  .string({ unit: fc.constantFrom(...'aZ09_.-'), minLength: 1, maxLength: 8 })
  .filter((t) => /^\w/.test(t));
const digest = fc.constantFrom(`sha256:${'a'.repeat(64)}`, `sha512:${'b'.repeat(128)}`);
interface Parts {
  readonly domain?: string;
  readonly port?: number;
  readonly path: string[];
  readonly tag?: string;
  readonly digest?: string;
}
const parts: fc.Arbitrary<Parts> = fc.record(
  { domain, port, path: fc.array(component, { minLength: 1, maxLength: 3 }), tag, digest },
  { requiredKeys: ['path'] },
);
const written = (p: Parts) =>
  `${p.domain !== undefined ? `${p.domain}${p.port !== undefined ? `:${p.port}` : ''}/` : ''}${p.path.join('/')}${
    p.tag !== undefined ? `:${p.tag}` : ''
  }${p.digest !== undefined ? `@${p.digest}` : ''}`;

/** Strings near the grammar: the pieces above cut and joined at random, and anything at all. */
const nearly = fc.oneof(
  fc
    .array(fc.oneof(component, domain, tag, fc.constantFrom('/', ':', '@', '//', '..', 'A', ' ')), {
      maxLength: 8,
    })
    .map((a) => a.join('')),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: fc.constantFrom('a', '.', '-', '_', '/', ':', '1', 'A'), maxLength: 300 }),
);

function checkParsed(input: string, ref: Reference, normalized: boolean): void {
  expect(formatReference(ref).length).toBeGreaterThan(0);
  const again = normalized
    ? parseNormalizedReference(formatReference(ref))
    : parseReference(formatReference(ref));
  expect(again).toEqual(ref);
  if (normalized) expect(parseNormalizedReference(familiarString(ref))).toEqual(ref);
  const p = /:(\d+)$/.exec(ref.registry)?.[1];
  if (p !== undefined) expect(Number(p)).toBeLessThanOrEqual(65535);
  expect(input.length).toBeGreaterThan(0);
}

describe('references under random input', () => {
  it('references built from the grammar parse to their parts; ports above 65535 are refused', () => {
    fc.assert(
      fc.property(parts, (p) => {
        const s = written(p);
        const port = p.domain !== undefined ? p.port : undefined;
        const tooLong =
          p.path.join('/').length +
            (p.domain ? p.domain.length + 1 + (p.port !== undefined ? String(p.port).length + 1 : 0) : 0) >
          255;
        let ref: Reference;
        try {
          ref = parseReference(s);
        } catch (e) {
          expect(e).toBeInstanceOf(InvalidInputError);
          const code = (e as InvalidInputError).code;
          if (code === 'REFERENCE_PORT_INVALID') expect(port).toBeGreaterThan(65535);
          else expect([tooLong && 'REFERENCE_TOO_LONG']).toContain(code);
          return;
        }
        expect(port === undefined || port <= 65535).toBe(true);
        if (p.tag !== undefined) expect(ref.tag).toBe(p.tag);
        if (p.digest !== undefined) expect(ref.digest).toBe(p.digest);
        checkParsed(s, ref, false);
      }),
      { numRuns },
    );
  });

  it('anything else: a reference that formats and parses back to itself, or an InvalidInputError', () => {
    fc.assert(
      fc.property(nearly, (s) => {
        for (const normalized of [false, true]) {
          let ref: Reference;
          try {
            ref = normalized ? parseNormalizedReference(s) : parseReference(s);
          } catch (e) {
            expect(e).toBeInstanceOf(InvalidInputError);
            continue;
          }
          checkParsed(s, ref, normalized);
        }
      }),
      { numRuns },
    );
  });
});
