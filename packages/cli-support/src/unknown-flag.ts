import { OptionError } from '@lading/digest';
import { closest, distance } from 'fastest-levenshtein';

/**
 * An unknown flag as cobra (buildx, buildah) answers it, `unknown flag: --tga`, with the closest known flag when it
 * is near enough to be a typo ("did you mean --tag?"): an `OptionError` coded `UNKNOWN_FLAG`. `error` is what
 * node:util's `parseArgs` threw; undefined when it is any other error. `knownFlags` are the long names, no dashes.
 */
export function unknownFlagError(error: unknown, knownFlags: readonly string[]): OptionError | undefined {
  if ((error as { code?: unknown } | null)?.code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return undefined;
  const flag = /Unknown option '([^']+)'/.exec((error as Error).message)?.[1] ?? '';
  const typed = flag.replace(/^-+/, '').replace(/=.*$/, '');
  const near = knownFlags.length > 0 && typed.length > 1 ? closest(typed, [...knownFlags]) : undefined;
  // cobra's rule of thumb: a third of the letters may be wrong, at least two (one for a two-letter flag).
  const close =
    near !== undefined &&
    distance(typed, near) <= (typed.length < 3 ? 1 : Math.max(2, Math.floor(typed.length / 3)));
  return new OptionError(
    'UNKNOWN_FLAG',
    `unknown flag: ${flag}${close ? ` (did you mean --${near}?)` : ''}`,
    { key: typed },
  );
}
