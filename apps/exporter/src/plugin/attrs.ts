import { OptionError } from '@lading/digest';

const trueValues = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const falseValues = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** Go's strconv.ParseBool. Throws OptionError on anything else. */
export function parseBool(value: string, key: string): boolean {
  if (trueValues.has(value)) return true;
  if (falseValues.has(value)) return false;
  throw new OptionError(
    'ATTR_NOT_BOOL',
    `non-bool value specified for ${key}: strconv.ParseBool: parsing ${JSON.stringify(value)}: invalid syntax`,
    { key },
  );
}

/** A boolean attribute: absent gives `fallback`, "" means true (`push` alone), otherwise strconv.ParseBool. */
export function parseBoolAttr(
  attrs: Readonly<Record<string, string>>,
  key: string,
  fallback = false,
): boolean {
  const value = attrs[key];
  if (value === undefined) return fallback;
  if (value === '') return true;
  return parseBool(value, key);
}

/** An integer attribute within [min, max]. */
export function parseIntAttr(
  attrs: Readonly<Record<string, string>>,
  key: string,
  range: { min?: number; max?: number } = {},
): number | undefined {
  const value = attrs[key];
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value)) {
    throw new OptionError('ATTR_NOT_INT', `non-integer value ${JSON.stringify(value)} specified for ${key}`, {
      key,
    });
  }
  const n = Number(value);
  if ((range.min !== undefined && n < range.min) || (range.max !== undefined && n > range.max)) {
    throw new OptionError(
      'ATTR_OUT_OF_RANGE',
      `value ${n} for ${key} is out of range [${range.min ?? '-inf'}, ${range.max ?? 'inf'}]`,
      { key },
    );
  }
  return n;
}
