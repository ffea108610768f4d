import { InvalidInputError } from '@lading/digest';

// RFC 3339 as Go's time.Time UnmarshalJSON accepts it.
const rfc3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

export function isRfc3339(s: string): boolean {
  return rfc3339.test(s);
}

/**
 * The string Go writes back after reading a time (RFC3339Nano): trailing zeros of the fraction dropped, `Z` for UTC,
 * other offsets kept as given.
 */
export function normalizeTime(s: string, field = 'time'): string {
  const m = rfc3339.exec(s);
  if (!m) {
    throw new InvalidInputError(
      'CONFIG_INVALID',
      `invalid ${field} ${JSON.stringify(s)}: expected an RFC 3339 time such as 2024-01-02T03:04:05Z`,
    );
  }
  const [, y, mo, d, h, mi, sec, frac = '', zone = 'Z'] = m as unknown as string[];
  const fraction = frac.replace(/0+$/, '');
  const z = zone.toUpperCase() === 'Z' || zone === '+00:00' ? (zone === '+00:00' ? '+00:00' : 'Z') : zone;
  return `${y}-${mo}-${d}T${h}:${mi}:${sec}${fraction ? `.${fraction}` : ''}${z}`;
}

/** Formats a Date as Go formats a UTC time.Time. */
export function formatTime(date: Date): string {
  return normalizeTime(date.toISOString());
}

/** Nanoseconds since the epoch, for ordering times with different offsets. */
export function timeValue(s: string): bigint {
  const m = rfc3339.exec(s);
  if (!m) throw new InvalidInputError('CONFIG_INVALID', `invalid time ${JSON.stringify(s)}`);
  const [, y, mo, d, h, mi, sec, frac = '', zone = 'Z'] = m as unknown as string[];
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec));
  let offsetMin = 0;
  if (zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    offsetMin = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  }
  const nanos = BigInt(frac.padEnd(9, '0'));
  return (BigInt(ms) - BigInt(offsetMin) * 60_000n) * 1_000_000n + nanos;
}

/** Parses SOURCE_DATE_EPOCH-style input (seconds since the epoch) into a Date. */
export function parseEpoch(value: string | number): Date {
  const s = String(value).trim();
  if (!/^\d{1,12}$/.test(s)) {
    throw new InvalidInputError(
      'EPOCH_INVALID',
      `invalid epoch ${JSON.stringify(String(value))}: expected whole seconds since 1970-01-01 (SOURCE_DATE_EPOCH)`,
    );
  }
  return new Date(Number(s) * 1000);
}
