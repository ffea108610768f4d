import { parseArgs as nodeParseArgs, type ParseArgsConfig } from 'node:util';
import { unknownFlagError } from '@lading/cli-support';

/** node:util's parseArgs, with unknown flags answered as buildx (cobra) does: a usage error, exit 2. */
export function parseArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof nodeParseArgs<T>> {
  try {
    return nodeParseArgs(config);
  } catch (error) {
    throw unknownFlagError(error, Object.keys(config.options ?? {})) ?? error;
  }
}
