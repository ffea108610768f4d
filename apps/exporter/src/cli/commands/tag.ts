import { resolve } from 'node:path';
import { openLocalStore } from '@lading/content-store';
import { OptionError } from '@lading/digest';
import { findStoreImage } from '../../operations/images.js';
import { commonOptions, defaultStoreDir } from '../common.js';
import { helpTexts } from '../help.js';
import { parseArgs } from '../parse-args.js';

export const help = helpTexts.tag;

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: commonOptions });
  const [source, ...names] = positionals;
  if (source === undefined || names.length === 0)
    throw new OptionError('TAG_ARGS', 'lading tag needs SOURCE and at least one NAME', {});
  const store = await openLocalStore(values.store !== undefined ? resolve(values.store) : defaultStoreDir());
  const target = await findStoreImage(store, source);
  const { ImageStore } = await import('@lading/reference-store');
  const images = new ImageStore(store);
  for (const n of names) await images.put({ name: n, target });
  return 0;
}
