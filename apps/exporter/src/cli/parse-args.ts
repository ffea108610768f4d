import { parseArgs as nodeParseArgs, type ParseArgsConfig } from 'node:util';
import { OptionError } from '@lading/digest';
import { closest, distance } from 'fastest-levenshtein';

/**
 * An unknown flag as buildx (cobra) answers it, `unknown flag: --tga`, with the closest known flag when it is near
 * enough to be a typo ("did you mean --tag?"); undefined for any other error.
 */
export function unknownFlagError(
  error: unknown,
  options: ParseArgsConfig['options'],
): OptionError | undefined {
  if ((error as { code?: unknown } | null)?.code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return undefined;
  const flag = /Unknown option '([^']+)'/.exec((error as Error).message)?.[1] ?? '';
  const names = Object.keys(options ?? {});
  const typed = flag.replace(/^-+/, '').replace(/=.*$/, '');
  const near = names.length > 0 && typed.length > 1 ? closest(typed, names) : undefined;
  const close =
    near !== undefined &&
    distance(typed, near) <= (typed.length < 3 ? 1 : Math.max(2, Math.floor(typed.length / 3)));
  return new OptionError(
    'UNKNOWN_FLAG',
    `unknown flag: ${flag}${close ? ` (did you mean --${near}?)` : ''}`,
    { key: typed },
  );
}

/** node:util's parseArgs, with unknown flags answered as `unknownFlagError` does (a usage error, exit 2). */
export function parseArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof nodeParseArgs<T>> {
  try {
    return nodeParseArgs(config);
  } catch (error) {
    throw unknownFlagError(error, config.options) ?? error;
  }
}
