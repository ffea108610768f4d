/**
 * What Go's encoding/json does to bytes, so that configs we write are the bytes moby and BuildKit write:
 * `<`, `>`, `&`, U+2028 and U+2029 escaped inside strings, raw values compacted, map keys sorted by their bytes,
 * struct fields in declaration order. One home for every package that writes bytes a Go program also writes.
 */
import { compareUtf8 } from './utf8-order.js';

const htmlUnsafe = /[<>&\u2028\u2029]/g;
const escapes: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/**
 * Escapes as Go's HTML-safe encoder does. Applied to JSON text: these characters can only occur inside strings,
 * so a global replace is exact.
 */
export function goEscape(jsonText: string): string {
  return jsonText.replace(htmlUnsafe, (c) => escapes[c] as string);
}

// A UTF-16 surrogate without its pair: Go, which sees UTF-8, writes U+FFFD for it.
const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * A string as Go's json.Marshal writes it (Go 1.22 and later): `\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, other
 * control characters as `\u00xx`, HTML characters and U+2028/U+2029 escaped, everything else as UTF-8.
 */
export function goString(s: string): string {
  return goEscape(JSON.stringify(s.replace(loneSurrogate, '\ufffd')));
}

/**
 * The key order `goJson` writes an object made by `sortedMap` in. A JavaScript object cannot hold it: integer-like
 * keys (`"10"`, `"9"`) always come first, in numeric order, whatever the order they were set in.
 */
const goKeyOrder = Symbol('goKeyOrder');

/**
 * A value as Go's json.Marshal writes it when the caller already put the keys in Go's order (struct fields in
 * declaration order, maps made with `sortedMap`): JSON.stringify's compact text (the same members, `toJSON`, `null`
 * for what an array cannot hold) with Go's HTML-safe escaping.
 */
export function goJson(value: unknown): string {
  return goEscape(encodeValue(value) ?? 'null');
}

/** JSON.stringify's encoding of one value, undefined where it leaves a member out; a `sortedMap` in its order. */
function encodeValue(value: unknown): string | undefined {
  let v = value;
  if (typeof v === 'object' && v !== null && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
    v = (v as { toJSON: () => unknown }).toJSON();
  }
  if (typeof v !== 'object' || v === null) return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map((e) => encodeValue(e) ?? 'null').join(',')}]`;
  const obj = v as Record<string | symbol, unknown>;
  const keys = (obj[goKeyOrder] as readonly string[] | undefined) ?? Object.keys(obj);
  const members: string[] = [];
  for (const k of keys) {
    const encoded = encodeValue(obj[k]);
    if (encoded !== undefined) members.push(`${JSON.stringify(k)}:${encoded}`);
  }
  return `{${members.join(',')}}`;
}

/**
 * A string map with its keys in Go's map order (by their UTF-8 bytes, integer-like keys too), for `goJson`: the
 * order rides on the object, since its own key order puts `"10"` and `"9"` before `"a"` in numeric order.
 */
export function sortedMap(map: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  const keys = Object.keys(map).sort(compareUtf8);
  for (const k of keys) out[k] = map[k] as string;
  Object.defineProperty(out, goKeyOrder, { value: Object.freeze(keys), enumerable: false });
  return out;
}

/**
 * A decoded JSON value as Go writes it back from an `interface{}`: objects are maps, so their keys are sorted by
 * their UTF-8 bytes (JSON.stringify would keep insertion order and put integer-like keys first).
 */
export function goValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return goString(value);
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `[${value.map(goValue).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined);
  return goMap(keys.map((k) => [k, goValue(obj[k])]));
}

/** A Go map from already-encoded values: keys sorted by their bytes. */
export function goMap(members: Iterable<readonly [string, string]>): string {
  const sorted = [...members].sort(([a], [b]) => compareUtf8(a, b));
  return `{${sorted.map(([k, v]) => `${goString(k)}:${v}`).join(',')}}`;
}

/** A Go struct from already-encoded fields, in declaration order; `undefined` is a field omitempty left out. */
export function goStruct(fields: Iterable<readonly [string, string | undefined]>): string {
  const out: string[] = [];
  for (const [k, v] of fields) if (v !== undefined) out.push(`${goString(k)}:${v}`);
  return `{${out.join(',')}}`;
}

/** Removes insignificant whitespace from valid JSON text without touching strings or numbers (json.Compact). */
export function compactJson(text: string): string {
  let out = '';
  let inString = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
      out += text.slice(start, i);
      start = i + 1;
    }
  }
  return out + text.slice(start);
}

/**
 * Splits valid JSON text of an object into its top-level members, keeping each value's raw text
 * (Go's `map[string]json.RawMessage`). A repeated key keeps its last value, as in Go.
 */
export function splitObject(text: string): Map<string, string> {
  const members = new Map<string, string>();
  let i = skipWs(text, 0);
  if (text[i] !== '{') throw new Error('not an object');
  i = skipWs(text, i + 1);
  if (text[i] === '}') return members;
  for (;;) {
    const keyEnd = endOfString(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipWs(text, keyEnd);
    i = skipWs(text, i + 1); // ':'
    const valueEnd = endOfValue(text, i);
    members.set(key, text.slice(i, valueEnd));
    i = skipWs(text, valueEnd);
    if (text[i] === ',') {
      i = skipWs(text, i + 1);
      continue;
    }
    return members;
  }
}

function skipWs(text: string, i: number): number {
  while (i < text.length && ' \n\r\t'.includes(text[i] as string)) i++;
  return i;
}

function endOfString(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const c = text[j];
    if (c === '\\') j++;
    else if (c === '"') return j + 1;
  }
  throw new Error('unterminated string');
}

function endOfValue(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return endOfString(text, i);
  if (c === '{' || c === '[') {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const d = text[j];
      if (d === '"') {
        j = endOfString(text, j) - 1;
      } else if (d === '{' || d === '[') depth++;
      else if (d === '}' || d === ']') {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    throw new Error('unterminated value');
  }
  let j = i;
  while (j < text.length && !',}] \n\r\t'.includes(text[j] as string)) j++;
  return j;
}

/** Encodes members as Go encodes a `map[string]json.RawMessage`: sorted keys, compacted and escaped values. */
export function encodeRawMap(members: ReadonlyMap<string, string>): string {
  return goMap([...members].map(([k, v]) => [k, goEscape(compactJson(v))]));
}
