import { exitCodeFor, OptionError } from '@lading/digest';
import { describe, expect, it } from 'vitest';
import { parseBoolAttr, parseIntAttr } from './attrs.js';

describe('parseBoolAttr (strconv.ParseBool; "" means true)', () => {
  it.each(['1', 't', 'T', 'TRUE', 'true', 'True'])('%s is true', (v) => {
    expect(parseBoolAttr({ push: v }, 'push')).toBe(true);
  });
  it.each(['0', 'f', 'F', 'FALSE', 'false', 'False'])('%s is false', (v) => {
    expect(parseBoolAttr({ push: v }, 'push', true)).toBe(false);
  });
  it('"" is true, absent is the fallback', () => {
    expect(parseBoolAttr({ push: '' }, 'push')).toBe(true);
    expect(parseBoolAttr({}, 'push')).toBe(false);
    expect(parseBoolAttr({}, 'push', true)).toBe(true);
  });
  it.each(['yes', 'on', 'tRUE', ' true', '2'])(
    '%j is an OptionError naming the key (usage exit code)',
    (v) => {
      let error: unknown;
      try {
        parseBoolAttr({ unpack: v }, 'unpack');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(OptionError);
      expect((error as OptionError).key).toBe('unpack');
      expect((error as Error).message).toBe(
        `non-bool value specified for unpack: strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`,
      );
      expect(exitCodeFor(error)).toBe(2);
    },
  );
});

describe('parseIntAttr', () => {
  it('reads integers within range', () => {
    expect(parseIntAttr({ l: '7' }, 'l', { min: 0, max: 9 })).toBe(7);
    expect(parseIntAttr({}, 'l')).toBeUndefined();
  });
  it('refuses non-integers and out of range values', () => {
    expect(() => parseIntAttr({ l: '1.5' }, 'l')).toThrow(/non-integer value "1.5" specified for l/);
    expect(() => parseIntAttr({ l: '10' }, 'l', { min: 0, max: 9 })).toThrow(/out of range/);
  });
});
