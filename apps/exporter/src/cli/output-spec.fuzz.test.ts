import { OptionError } from '@lading/digest';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCsvRecord, parseOutputSpec } from './output-spec.js';

const numRuns = Number(process.env.LADING_FUZZ_RUNS) || 10_000;

const unit = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('a', 'Z', '=', ' ', ':', '/', '.') },
  fc.constantFrom(',', '"', '\n', '\r'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);
const field = fc.string({ unit, maxLength: 10 });

/** A record as Go's encoding/csv Writer writes it: a field with a comma, quote, line break or leading space quoted. */
function csv(fields: readonly string[]): string {
  return fields.map((f) => (/[,"\r\n]|^ /.test(f) ? `"${f.replace(/"/g, '""')}"` : f)).join(',');
}

describe('the --output CSV grammar under random input', () => {
  it('reads back every record a CSV writer makes', () => {
    fc.assert(
      fc.property(fc.array(field, { minLength: 1, maxLength: 5 }), (fields) => {
        // One empty field is written as nothing, which reads as one empty field again.
        expect(parseCsvRecord(csv(fields))).toEqual(fields);
      }),
      { numRuns },
    );
  });

  it('anything else: fields or an OptionError, in linear time', () => {
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 60 }), (s) => {
        try {
          const fields = parseCsvRecord(s);
          expect(fields.length).toBeGreaterThan(0);
          expect(fields.join(',').length).toBeLessThanOrEqual(s.length);
        } catch (e) {
          expect(e).toBeInstanceOf(OptionError);
        }
      }),
      { numRuns },
    );
    const long = `"${'""'.repeat(200_000)}`;
    const started = performance.now();
    expect(() => parseCsvRecord(long)).toThrow(OptionError);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('parseOutputSpec: a type and attributes with lower-cased keys, any name a key (even __proto__), or an OptionError', () => {
    const key = fc.oneof(
      fc.constantFrom('__proto__', 'constructor', 'Name', ' push ', 'type', 'TYPE'),
      fc.string({ unit, maxLength: 5 }),
    );
    const spec = fc
      .array(fc.tuple(key, field), { maxLength: 5 })
      .map((kv) => csv(kv.map(([k, v]) => `${k}=${v}`)));
    fc.assert(
      fc.property(fc.oneof(spec, fc.string({ unit, maxLength: 40 })), (s) => {
        let parsed: ReturnType<typeof parseOutputSpec>;
        try {
          parsed = parseOutputSpec(s);
        } catch (e) {
          expect(e).toBeInstanceOf(OptionError);
          return;
        }
        expect(parsed.type.length).toBeGreaterThan(0);
        expect(Object.getPrototypeOf(parsed.attrs)).toBe(Object.prototype);
        // Each field with a key says what the attributes hold: the last value of each lower-cased, trimmed key.
        const want = new Map<string, string>();
        for (const f of parseCsvRecord(s)) {
          const eq = f.indexOf('=');
          const k = f.slice(0, eq).trim().toLowerCase();
          if (k !== 'type') want.set(k, f.slice(eq + 1));
        }
        expect(new Map(Object.entries(parsed.attrs))).toEqual(want);
      }),
      { numRuns },
    );
  });
});
