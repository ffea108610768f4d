import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { OptionError, parsePlatform } from '@lading/digest';
import { inspectImage } from '../../operations/images.js';
import { commonOptions, defaultStoreDir } from '../common.js';

export const help = `Usage: lading inspect IMAGE [options]

Print an image's manifest descriptor, manifest and config as JSON.
IMAGE is oci:DIR[:TAG] or a name in the lading store.

Options:
      --platform OS/ARCH  Platform to pick from a multi-platform index (default: this machine)
      --config            Print only the config
      --store DIR         The lading store

Examples:
  lading inspect oci:./out:latest
  lading inspect hello:latest --config
`;

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...commonOptions, platform: { type: 'string' }, config: { type: 'boolean' } },
  });
  const [image] = positionals;
  if (image === undefined || positionals.length > 1)
    throw new OptionError('INSPECT_ARGS', 'lading inspect takes one IMAGE', {});
  const result = await inspectImage(
    image,
    values.store !== undefined ? resolve(values.store) : defaultStoreDir(),
    ...(values.platform !== undefined ? [parsePlatform(values.platform)] : []),
  );
  process.stdout.write(`${JSON.stringify(values.config ? result.config : result, null, 2)}\n`);
  return 0;
}
