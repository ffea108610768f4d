import { describe, expect, it } from 'vitest';
import { parseGoBool } from './go-strconv.js';

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
