/** google.protobuf.Timestamp as decoded (int64 seconds as a number) <-> Date. */
export function timestampToDate(value: unknown): Date {
  if (typeof value !== 'object' || value === null) return new Date(0);
  const t = value as { seconds?: unknown; nanos?: unknown };
  return new Date(Number(t.seconds ?? 0) * 1000 + Math.floor(Number(t.nanos ?? 0) / 1e6));
}
