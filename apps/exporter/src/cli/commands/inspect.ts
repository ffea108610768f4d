import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { OptionError, parsePlatform } from '@lading/digest';
import { inspectImage } from '../../operations/images.js';
import { commonOptions, defaultStoreDir } from '../common.js';
import { helpTexts } from '../help.js';

export const help = helpTexts.inspect;

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
