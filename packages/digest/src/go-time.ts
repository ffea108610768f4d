/**
 * A time as Go's time.Time.MarshalJSON writes a UTC time (RFC3339Nano, `time/format.go`): the fraction without its
 * trailing zeros, no fraction at all when it is zero, and `Z` for the zone. An invalid date is a RangeError.
 */
export function formatGoTime(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new RangeError('invalid date');
  return date.toISOString().replace(/\.(\d*?)0*Z$/, (_m, frac: string) => (frac ? `.${frac}Z` : 'Z'));
}
