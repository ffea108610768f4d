import { resolve } from 'node:path';
import { openLocalStore } from '@lading/content-store';
import { OptionError } from '@lading/digest';
import { commonOptions, defaultStoreDir } from '../common.js';
import { helpTexts } from '../help.js';
import { parseArgs } from '../parse-args.js';

export const help = helpTexts.rm;

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: commonOptions });
  if (positionals.length === 0) throw new OptionError('RM_ARGS', 'lading rm needs at least one NAME', {});
  const store = await openLocalStore(values.store !== undefined ? resolve(values.store) : defaultStoreDir());
  const { ImageStore } = await import('@lading/reference-store');
  const images = new ImageStore(store);
  for (const n of positionals) await images.delete(n);
  return 0;
}
