import { formatGoTime, InvalidInputError } from '@lading/digest';

// RFC 3339 as Go's time.Time UnmarshalJSON reads it (time/format_rfc3339.go): an upper-case T and Z, a fraction of
// any length (only nine digits are kept), and the field ranges checked below.
const rfc3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/;

interface TimeParts {
  readonly date: string;
  readonly clock: string;
  /** Nine digits at most, trailing zeros kept. */
  readonly fraction: string;
  /** `Z` or `±hh:mm`. */
  readonly zone: string;
  readonly ms: number;
  readonly offsetMinutes: number;
}

function daysIn(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Milliseconds since the epoch of a UTC date and clock (Date.UTC would read years below 100 as 19xx). */
function utcMs(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  return d.getTime();
}

function parseTime(s: string): TimeParts | undefined {
  const m = rfc3339.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, sec, frac = '', zone = 'Z'] = m as unknown as string[];
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = [y, mo, d, h, mi, sec].map(Number);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    const zh = Number(zone.slice(1, 3));
    const zm = Number(zone.slice(4, 6));
    if (zh > 23 || zm > 59) return undefined;
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (zh * 60 + zm);
  }
  return {
    date: `${y}-${mo}-${d}`,
    clock: `${h}:${mi}:${sec}`,
    fraction: frac.slice(0, 9),
    zone,
    ms: utcMs(year, month, day, hour, minute, second),
    offsetMinutes,
  };
}

export function isRfc3339(s: string): boolean {
  return parseTime(s) !== undefined;
}

/**
 * The string Go writes back after reading a time (MarshalJSON, RFC3339Nano): the fraction cut to nine digits and its
 * trailing zeros dropped, `Z` for a zero offset (`+00:00` too), other offsets kept as given.
 */
export function normalizeTime(s: string, field = 'time'): string {
  const t = parseTime(s);
  if (!t) {
    throw new InvalidInputError(
      'CONFIG_INVALID',
      `invalid ${field} ${JSON.stringify(s)}: expected an RFC 3339 time such as 2024-01-02T03:04:05Z`,
    );
  }
  const fraction = t.fraction.replace(/0+$/, '');
  const zone = t.offsetMinutes === 0 ? 'Z' : t.zone;
  return `${t.date}T${t.clock}${fraction ? `.${fraction}` : ''}${zone}`;
}

/**
 * Formats a Date as Go formats a UTC time.Time (`formatGoTime`); a year Go's MarshalJSON refuses (past 9999) is
 * a CONFIG_INVALID error here, as when such a time is read.
 */
export function formatTime(date: Date): string {
  return normalizeTime(formatGoTime(date));
}

/** Nanoseconds since the epoch, for ordering times with different offsets. */
export function timeValue(s: string): bigint {
  const t = parseTime(s);
  if (!t) throw new InvalidInputError('CONFIG_INVALID', `invalid time ${JSON.stringify(s)}`);
  const nanos = BigInt(t.fraction.padEnd(9, '0'));
  return (BigInt(t.ms) - BigInt(t.offsetMinutes) * 60_000n) * 1_000_000n + nanos;
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
