import { OptionError } from '@lading/digest';
import { defaultRoot } from '../storage/storage.js';
import { boolFlagValue } from './args.js';
import { type Globals, usageError } from './command.js';

/** `--registries-conf FILE` among the global options (parseGlobals sets it), else containers/image's default. */
let registriesConfFlag: string | undefined;
/** `--log-level L` among the global options, for the error report. */
let logLevelFlag: string | undefined;

/** `--registries-conf` as given, if it was. */
export function registriesConfFlagValue(): string | undefined {
  return registriesConfFlag;
}

/** `--log-level` as given, if it was (also when a later global option was refused). */
export function logLevel(): string | undefined {
  return logLevelFlag;
}

/** The options before the command's name (buildah's persistent flags); `rest` starts at the command. */
export function parseGlobals(
  argv: readonly string[],
  signal: AbortSignal,
): { globals: Globals; rest: string[]; debug?: boolean } {
  let debug: boolean | undefined;
  let root = process.env.LADING_BUILDAH_ROOT || defaultRoot();
  let registriesDir: string | undefined;
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i] as string;
    const m =
      /^--(root|runroot|storage-driver|storage-opt|registries-conf|registries-conf-dir|short-name-alias-conf|userns-uid-map|userns-gid-map|log-level)(?:=(.*))?$/.exec(
        a,
      );
    if (!m) {
      if (a === '--debug') continue;
      const d = /^--debug=(.*)$/s.exec(a);
      if (d === null) break;
      debug = boolFlagValue('--debug', d[1] as string, 'debug');
      continue;
    }
    const value = m[2] ?? argv[++i];
    if (value === undefined) throw usageError(`--${m[1]} needs a value`);
    if (m[1] === 'root') root = value;
    if (m[1] === 'registries-conf-dir') registriesDir = value;
    if (m[1] === 'registries-conf') registriesConfFlag = value;
    if (m[1] === 'log-level') logLevelFlag = value;
    if (m[1] === 'storage-driver' && value !== 'vfs' && value !== 'overlay' && value !== '') {
      throw new OptionError(
        'STORAGE_DRIVER',
        `--storage-driver=${value}: use vfs or overlay (both mean plain directories here)`,
        {
          key: 'storage-driver',
        },
      );
    }
  }
  return {
    globals: { root, signal, ...(registriesDir !== undefined ? { registriesDir } : {}) },
    rest: argv.slice(i),
    ...(debug !== undefined ? { debug } : {}),
  };
}
