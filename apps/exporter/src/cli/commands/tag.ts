import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { openLocalStore } from '@lading/content-store';
import { OptionError } from '@lading/digest';
import { findStoreImage } from '../../operations/images.js';
import { commonOptions, defaultStoreDir } from '../common.js';

export const help = `Usage: lading tag SOURCE NAME... [options]

Give an image of the lading store more names (an existing name is moved).

Examples:
  lading tag hello:latest hello:1.0 registry.example/hello:1.0
`;

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
