import { OptionError, parseBoolAttr } from '@lading/digest';

/** A boolean attribute: absent gives `fallback`, "" means true (`push` alone), otherwise strconv.ParseBool. */
export { parseBoolAttr };

/** Go's strconv.ParseBool of one value ("" is refused). Throws OptionError `ATTR_NOT_BOOL` on anything else. */
export function parseBool(value: string, key: string): boolean {
  return parseBoolAttr({ [key]: value }, key, false, { emptyIsTrue: false });
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
