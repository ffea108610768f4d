import { OptionError } from './errors.js';

/** Go's strconv.ParseBool (BuildKit parses exporter and cache attributes with it); undefined for anything else. */
export function parseGoBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false;
  return undefined;
}

export interface BoolAttrOptions {
  /**
   * An empty value is true (BuildKit's exporters: `push` alone); default. `false`: an empty value is refused, as
   * strconv.ParseBool("") is (BuildKit's cache attributes).
   */
  readonly emptyIsTrue?: boolean;
  /** The OptionError code for a value that is not a bool; default `ATTR_NOT_BOOL`. */
  readonly code?: string;
}

/**
 * The one parser of boolean attributes: absent gives `fallback`, "" is true unless `emptyIsTrue: false`, anything
 * else goes through strconv.ParseBool; OptionError (with `key`) and Go's message for what is not a bool.
 */
export function parseBoolAttr(
  attrs: Readonly<Record<string, string | undefined>>,
  key: string,
  fallback = false,
  options: BoolAttrOptions = {},
): boolean {
  const value = attrs[key];
  if (value === undefined) return fallback;
  if (value === '' && options.emptyIsTrue !== false) return true;
  const b = parseGoBool(value);
  if (b === undefined) {
    throw new OptionError(
      options.code ?? 'ATTR_NOT_BOOL',
      `non-bool value specified for ${key}: strconv.ParseBool: parsing ${JSON.stringify(value)}: invalid syntax`,
      { key },
    );
  }
  return b;
}
