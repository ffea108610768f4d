import { type ParseArgsConfig, parseArgs } from 'node:util';
import { alignRows, unknownFlagError } from '@lading/cli-support';
import { OptionError, parseGoBool } from '@lading/digest';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  readonly values: Record<string, unknown>;
  readonly positionals: string[];
}

/**
 * The value of a bool flag given as `--flag=VALUE`, as pflag reads it (spf13/pflag `bool.go`: strconv.ParseBool, so
 * `1`, `t`, `true`, `TRUE`, `True`, `0`, `f`, ...); anything else (`maybe`, the empty string) is a usage error with
 * pflag's message.
 */
export function boolFlagValue(flag: string, value: string, key: string): boolean {
  const b = parseGoBool(value);
  if (b === undefined) {
    throw new OptionError(
      'BOOLEAN_INVALID',
      `invalid argument ${JSON.stringify(value)} for "${flag}" flag: strconv.ParseBool: parsing ${JSON.stringify(value)}: invalid syntax`,
      { key },
    );
  }
  return b;
}

/**
 * parseArgs, plus what buildah's flags (pflag) accept and Node's parser does not: `--flag=VALUE` for booleans
 * (`boolFlagValue`). Options after the first positional are still options (pflag interleaves them too).
 */
export function parseCommandArgs(
  argv: readonly string[],
  options: OptionSpec,
  /** String options whose value may be left out (`--pull` alone): the bare flag means this value. */
  bareValues: Readonly<Record<string, string>> = {},
): Parsed {
  const booleans = new Set(
    Object.entries(options)
      .filter(([, o]) => o.type === 'boolean')
      .map(([k]) => k),
  );
  const shortBooleans = new Map(
    Object.entries(options)
      .filter(([, o]) => o.type === 'boolean' && o.short)
      .map(([k, o]) => [o.short as string, k]),
  );
  const shortStrings = new Map(
    Object.entries(options)
      .filter(([, o]) => o.type === 'string' && o.short)
      .map(([k, o]) => [o.short as string, k]),
  );
  const forced: Record<string, boolean> = {};
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') {
      args.push(...argv.slice(i));
      break;
    }
    // pflag gives a string flag the next argument whatever it starts with (`--cmd '--listen :8080'`); Node's parser
    // would refuse a value that starts with a dash
    const valued =
      /^--([^=]+)$/.exec(a)?.[1] ?? (/^-([a-zA-Z])$/.test(a) ? shortStrings.get(a[1] as string) : undefined);
    if (
      valued !== undefined &&
      options[valued]?.type === 'string' &&
      bareValues[valued] === undefined &&
      i + 1 < argv.length &&
      (argv[i + 1] as string).startsWith('-')
    ) {
      args.push(`--${valued}=${argv[i + 1]}`);
      i++;
      continue;
    }
    const bare = a.startsWith('--') ? bareValues[a.slice(2)] : undefined;
    if (bare !== undefined) {
      args.push(`${a}=${bare}`);
      continue;
    }
    const m = /^--([^=]+)=(.*)$/.exec(a) ?? /^-([a-zA-Z])=(.*)$/.exec(a);
    const name = m ? (booleans.has(m[1] as string) ? m[1] : shortBooleans.get(m[1] as string)) : undefined;
    if (m && name !== undefined) {
      forced[name] = boolFlagValue(a.slice(0, a.indexOf('=')), m[2] as string, name);
      continue;
    }
    // The last of `--quiet=false --quiet` wins, as in pflag.
    const bareBool = a.startsWith('--')
      ? a.slice(2)
      : /^-[a-zA-Z]$/.test(a)
        ? shortBooleans.get(a[1] as string)
        : undefined;
    if (bareBool !== undefined && booleans.has(bareBool)) forced[bareBool] = true;
    args.push(a);
  }
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { values: { ...values, ...forced }, positionals };
  } catch (e) {
    throw (
      unknownFlagError(e, Object.keys(options)) ??
      new OptionError('USAGE', (e as Error).message.replace(/\. To specify a positional.*$/s, ''), {})
    );
  }
}

export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
export const list = (v: unknown): string[] =>
  Array.isArray(v) ? (v as string[]) : typeof v === 'string' ? [v] : [];
export const bool = (v: unknown, dflt = false): boolean => (typeof v === 'boolean' ? v : dflt);

export function intOption(v: unknown, option: string): number | undefined {
  const s = str(v);
  if (s === undefined) return undefined;
  if (!/^-?\d+$/.test(s))
    throw new OptionError('NOT_A_NUMBER', `--${option}=${s}: give a whole number`, { key: option });
  return Number(s);
}

/** Size as buildah prints it: three significant digits, decimal units. */
export function humanSize(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let v = bytes;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${Number(v.toPrecision(3))} ${units[u]}`;
}

/** "N minutes ago" as buildah (go-units HumanDuration) prints it. */
export function humanAgo(then: Date, now = new Date()): string {
  const s = Math.max(0, (now.getTime() - then.getTime()) / 1000);
  if (s < 1) return 'Less than a second ago';
  if (s < 2) return '1 second ago';
  if (s < 60) return `${Math.floor(s)} seconds ago`;
  const m = s / 60;
  if (Math.round(m) === 1) return 'About a minute ago';
  if (m < 60) return `${Math.floor(m)} minutes ago`;
  const h = m / 60;
  if (Math.round(h) === 1) return 'About an hour ago';
  if (h < 48) return `${Math.floor(h)} hours ago`;
  if (h < 24 * 7 * 2) return `${Math.floor(h / 24)} days ago`;
  if (h < 24 * 30 * 2) return `${Math.floor(h / 24 / 7)} weeks ago`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24 / 30)} months ago`;
  return `${Math.floor(h / 24 / 365)} years ago`;
}

/** Left-aligned columns separated by at least `gap` spaces, like Go's tabwriter. */
export function table(rows: readonly (readonly string[])[], gap = 3): string {
  return alignRows(rows, gap)
    .map((l) => `${l}\n`)
    .join('');
}
