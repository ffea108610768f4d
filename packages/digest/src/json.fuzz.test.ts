import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from './errors.js';
import { jsonNestsDeeperThan, parseJson } from './json.js';
import { printable } from './printable.js';

const numRuns = Number(process.env.LADING_FUZZ_RUNS) || 10_000;

/** The depth of a parsed value, by walking it: an oracle apart from the text scan. */
function depthOf(v: unknown): number {
  if (typeof v !== 'object' || v === null) return 0;
  let max = 0;
  for (const x of Object.values(v)) max = Math.max(max, depthOf(x));
  return max + 1;
}

/** JSON with strings full of quotes, backslashes and brackets, nested up to 12 levels. */
const tricky = fc.string({
  unit: fc.constantFrom('"', '\\', '[', ']', '{', '}', 'a', ' ', '\u2028'),
  maxLength: 8,
});
const { value: nestedValue } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 12 },
    tricky,
    fc.integer(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(tricky, tie('value'), { maxKeys: 3 }),
  ),
}));

describe('parseJson under random input', () => {
  it('the depth scan agrees with the parsed value at every limit', () => {
    fc.assert(
      fc.property(nestedValue, fc.nat(14), (v, limit) => {
        const text = JSON.stringify(v);
        expect(jsonNestsDeeperThan(text, limit)).toBe(depthOf(v) > limit);
      }),
      { numRuns },
    );
  });

  it('random text gives a value or an InvalidInputError, never anything else', () => {
    const text = fc.oneof(
      fc.string({
        unit: fc.constantFrom('[', ']', '{', '}', '"', '\\', ':', ',', '1', 'a', ' '),
        maxLength: 60,
      }),
      fc.string({ unit: 'binary', maxLength: 60 }),
      nestedValue.map((v) => JSON.stringify(v)),
    );
    fc.assert(
      fc.property(text, fc.integer({ min: 0, max: 6 }), (t, maxDepth) => {
        try {
          const v = parseJson(t, { maxDepth });
          expect(depthOf(v)).toBeLessThanOrEqual(maxDepth);
        } catch (e) {
          expect(e).toBeInstanceOf(InvalidInputError);
          expect((e as InvalidInputError).code).toBe('JSON_INVALID');
        }
      }),
      { numRuns },
    );
  });

  it('random bytes give a value or an InvalidInputError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          parseJson(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(InvalidInputError);
        }
      }),
      { numRuns },
    );
  });

  it('printable leaves no control character but newlines when asked', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (s) => {
        expect(printable(s)).not.toMatch(/[\p{Cc}\u202a-\u202e\u2066-\u2069]/u);
        expect(printable(s, { keepNewlines: true })).not.toMatch(/[^\P{Cc}\n]/u);
      }),
      { numRuns },
    );
  });
});
