import { describe, expect, it } from 'vitest';
import { isOptionError } from './errors.js';
import { parseBoolAttr, parseGoBool } from './go-strconv.js';

// strconv.ParseBool's documentation: "It accepts 1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False. Any
// other value returns an error."
describe('parseGoBool', () => {
  it('accepts exactly the spellings Go documents', () => {
    for (const v of ['1', 't', 'T', 'TRUE', 'true', 'True']) expect(parseGoBool(v)).toBe(true);
    for (const v of ['0', 'f', 'F', 'FALSE', 'false', 'False']) expect(parseGoBool(v)).toBe(false);
  });
  it('refuses other spellings, the empty string and padding', () => {
    for (const v of ['yes', 'no', 'tRUE', 'on', '', ' true', '2']) expect(parseGoBool(v)).toBeUndefined();
  });
});

describe('parseBoolAttr', () => {
  it('absent: the fallback; empty: true, or refused with emptyIsTrue false; else strconv.ParseBool', () => {
    expect(parseBoolAttr({}, 'push')).toBe(false);
    expect(parseBoolAttr({}, 'tar', true)).toBe(true);
    expect(parseBoolAttr({ push: '' }, 'push')).toBe(true);
    expect(parseBoolAttr({ push: 'F' }, 'push', true)).toBe(false);
    expect(parseBoolAttr({ push: 'T' }, 'push')).toBe(true);
    expect(() => parseBoolAttr({ x: '' }, 'x', false, { emptyIsTrue: false })).toThrow(
      'non-bool value specified for x: strconv.ParseBool: parsing "": invalid syntax',
    );
  });
  it('a value that is not a bool: OptionError with the key, the default code or the one asked for', () => {
    let err: unknown;
    try {
      parseBoolAttr({ unpack: 'yes' }, 'unpack');
    } catch (e) {
      err = e;
    }
    expect(isOptionError(err)).toBe(true);
    expect(err).toMatchObject({ code: 'ATTR_NOT_BOOL', key: 'unpack' });
    expect(() => parseBoolAttr({ m: 'on' }, 'm', false, { code: 'BAD_CACHE_OPTION' })).toThrow(
      expect.objectContaining({ code: 'BAD_CACHE_OPTION', key: 'm' }),
    );
  });
});
