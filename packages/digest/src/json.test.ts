import { describe, expect, it } from 'vitest';
import { InvalidInputError } from './errors.js';
import { jsonNestsDeeperThan, maxJsonDepth, parseJson, parseJsonObject, setOwn } from './json.js';

const nested = (depth: number, open = '[', close = ']') => `${open.repeat(depth)}${close.repeat(depth)}`;

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('parseJson', () => {
  it('takes nesting up to the limit and refuses one level more with the caller’s code', () => {
    expect(maxJsonDepth).toBe(1000);
    expect(parseJson(nested(1000))).toHaveLength(1);
    const objects = `${'{"a":'.repeat(1000)}1${'}'.repeat(1000)}`;
    expect(parseJson(objects)).toHaveProperty('a');
    const e = thrown(() => parseJson(nested(1001), { code: 'MANIFEST_INVALID', what: 'manifest' }));
    expect(e).toBeInstanceOf(InvalidInputError);
    expect(e).toMatchObject({ code: 'MANIFEST_INVALID' });
    expect((e as Error).message).toBe('manifest nests arrays and objects more than 1000 levels deep');
  });

  it('refuses a million levels with a typed error, never a RangeError', () => {
    const e = thrown(() => parseJson(`{"x":${nested(1_000_000)}}`));
    expect(e).toBeInstanceOf(InvalidInputError);
    expect(e).toMatchObject({ code: 'JSON_INVALID' });
  });

  it('counts no bracket inside a string, escaped quotes included', () => {
    const inString = JSON.stringify(`\\"${'['.repeat(5000)}`);
    expect(parseJson(`[${inString}]`)).toEqual([`\\"${'['.repeat(5000)}`]);
    // An even run of backslashes ends the string: the brackets after it count.
    expect(jsonNestsDeeperThan(`["\\\\",${nested(3)}]`, 3)).toBe(true);
    expect(jsonNestsDeeperThan(`["\\\\",${nested(2)}]`, 3)).toBe(false);
    // An odd run escapes the quote: the brackets are still inside the string.
    expect(jsonNestsDeeperThan(`["\\"${'['.repeat(10)}"]`, 3)).toBe(false);
    expect(jsonNestsDeeperThan(`"unterminated ${'['.repeat(10)}`, 3)).toBe(false);
  });

  it('refuses bytes that are not UTF-8, a byte-order mark (as Go does) and bad syntax, with causes', () => {
    expect(thrown(() => parseJson(new Uint8Array([0x7b, 0xff, 0x7d])))).toMatchObject({
      code: 'JSON_INVALID',
      message: 'JSON is not valid UTF-8',
    });
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d]);
    expect(thrown(() => parseJson(bom))).toBeInstanceOf(InvalidInputError);
    const syntax = thrown(() => parseJson('{"a":', { what: 'index.json' })) as InvalidInputError;
    expect(syntax.message).toMatch(/^index\.json is not valid JSON: /);
    expect(syntax.cause).toBeInstanceOf(SyntaxError);
  });

  it('parseJsonObject refuses what is not an object', () => {
    for (const [text, got] of [
      ['null', 'null'],
      ['[]', 'an array'],
      ['1', 'number'],
      ['"s"', 'string'],
    ] as const) {
      expect(() => parseJsonObject(text, { what: 'config', code: 'C' })).toThrow(
        `config must be a JSON object, got ${got}`,
      );
    }
  });
});

describe('"__proto__" keys', () => {
  it('come back as own data properties; the prototype stays Object.prototype', () => {
    const v = parseJsonObject('{"__proto__": {"polluted": true}, "a": 1}');
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(['__proto__', 'a']);
    expect((v as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('setOwn copies them as keys where assignment would replace the prototype', () => {
    const v = parseJsonObject('{"__proto__": {"polluted": true}}');
    const assigned: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) assigned[k] = x;
    // What the guard is for: assignment makes the field readable without being an own, validated key.
    expect((assigned as { polluted?: unknown }).polluted).toBe(true);
    const copied: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) setOwn(copied, k, x);
    expect(Object.getPrototypeOf(copied)).toBe(Object.prototype);
    expect((copied as { polluted?: unknown }).polluted).toBeUndefined();
    expect(JSON.stringify(copied)).toBe('{"__proto__":{"polluted":true}}');
  });
});
