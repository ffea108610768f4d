/**
 * What Go's encoding/json does to bytes, so that configs we write are the bytes moby and BuildKit write:
 * `<`, `>`, `&`, U+2028 and U+2029 escaped inside strings, raw values compacted, map keys sorted.
 */

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

/** JSON.stringify with Go's escaping. */
export function goStringify(value: unknown): string {
  return goEscape(JSON.stringify(value));
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
  const keys = [...members.keys()].sort(byUtf8);
  return `{${keys.map((k) => `${goStringify(k)}:${goEscape(compactJson(members.get(k) as string))}`).join(',')}}`;
}

/** Go sorts map keys by their bytes; for strings of the BMP below surrogates this is the UTF-16 order. */
function byUtf8(a: string, b: string): number {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  return Buffer.compare(ab, bb);
}
