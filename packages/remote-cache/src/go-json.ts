/**
 * JSON text as Go's encoding/json writes it: compact, with `<`, `>`, `&`, U+2028 and U+2029 escaped. Callers give
 * objects whose keys are already in Go's struct field order (maps sorted), so the bytes match BuildKit's.
 */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => {
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** A map as Go marshals it: keys sorted by their bytes. */
export function sortedMap(map: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(map).sort(compareBytes)) out[k] = map[k] as string;
  return out;
}

/** Go's string comparison (byte order of UTF-8); code-unit order differs only outside the BMP. */
export function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** A time as Go's RFC3339Nano formats it in UTC (trailing zeros of the fraction dropped). */
export function formatGoTime(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new RangeError('invalid date');
  const iso = date.toISOString();
  return iso.replace(/\.(\d*?)0*Z$/, (_m, frac: string) => (frac ? `.${frac}Z` : 'Z'));
}
