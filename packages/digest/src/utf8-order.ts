/**
 * Go compares strings by their UTF-8 bytes (sort.Strings, map keys in encoding/json, tar-split's and BuildKit's
 * sorted lists). JavaScript's `<` compares UTF-16 code units, which differs once a surrogate pair (U+10000 and up)
 * meets a character in U+E000..U+FFFF: UTF-16 puts the pair first, UTF-8 puts it last.
 */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
