/**
 * Left-aligned columns at least `gap` spaces apart, as Go's tabwriter lays out docker's and buildah's tables: one
 * line per row, trailing spaces trimmed.
 */
export function alignRows(rows: readonly (readonly string[])[], gap: number): string[] {
  const widths: number[] = [];
  for (const r of rows) {
    for (const [i, c] of r.entries()) widths[i] = Math.max(widths[i] ?? 0, c.length);
  }
  return rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd((widths[i] ?? 0) + gap)))
      .join('')
      .trimEnd(),
  );
}
