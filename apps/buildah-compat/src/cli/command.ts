import { OptionError } from '@lading/digest';
import type { OptionSpec } from './args.js';

/** What the global options (before the command's name) give every command. */
export interface Globals {
  root: string;
  /** `--registries-conf-dir`: the registries.d of signature lookasides (containers/image's RegistriesDirPath). */
  registriesDir?: string;
  /** Aborted on SIGINT/SIGTERM: transfers stop, half-made containers and ingests are removed, exit 130. */
  signal: AbortSignal;
}

/** One `lading-buildah` command: its help, its flags and what it does; `run` returns the exit code. */
export interface CommandDef {
  readonly usage: string;
  readonly options: OptionSpec;
  readonly bareValues?: Readonly<Record<string, string>>;
  readonly run: (g: Globals, values: Record<string, unknown>, positionals: string[]) => Promise<number>;
}

export const out = (s: string) => process.stdout.write(s);
export const err = (s: string) => process.stderr.write(s);
export const help = { help: { type: 'boolean', short: 'h' } } as const;

/** The flags of every command that reads from or writes to a registry. */
export const registryOptions = {
  creds: { type: 'string' },
  authfile: { type: 'string' },
  'tls-verify': { type: 'boolean' },
  'cert-dir': { type: 'string' },
  'signature-policy': { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
} as const;

/** The entries of `o` whose value is not undefined (for optional properties under exactOptionalPropertyTypes). */
export function defined<T extends Record<string, unknown>>(
  o: T,
): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined)) as never;
}

export function usageError(message: string): OptionError {
  return new OptionError('USAGE', message, {});
}
