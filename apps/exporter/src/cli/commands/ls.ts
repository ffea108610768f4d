import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { listImages } from '../../operations/images.js';
import { commonOptions, defaultStoreDir } from '../common.js';
import { helpTexts } from '../help.js';

export const help = helpTexts.ls;

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: commonOptions });
  const where = positionals[0]?.startsWith('oci:')
    ? resolve(positionals[0].slice(4))
    : values.store !== undefined
      ? resolve(values.store)
      : defaultStoreDir();
  const images = await listImages(where);
  if (values.json) process.stdout.write(`${JSON.stringify(images, null, 2)}\n`);
  else {
    for (const i of images) process.stdout.write(`${i.name}\t${i.digest}\t${i.size}\n`);
  }
  return 0;
}
