import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { OptionError } from '@lading/digest';
import { copyImage } from '../../operations/copy-image.js';
import { commonOptions, defaultStoreDir, parseImageLocation, printResult } from '../common.js';
import { helpTexts } from '../help.js';
import { parseFormat } from './copy.js';

export const help = helpTexts.push;

export async function run(args: string[], signal: AbortSignal): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...commonOptions, insecure: { type: 'boolean' }, format: { type: 'string' } },
  });
  const format = parseFormat(values.format);
  const [image, dest] = positionals;
  if (image === undefined || positionals.length > 2)
    throw new OptionError('PUSH_ARGS', 'lading push takes IMAGE and an optional DEST', {});
  const src = parseImageLocation(image);
  const target = dest ?? (src.kind === 'store' ? src.name : undefined);
  if (target === undefined)
    throw new OptionError('PUSH_DEST', `lading push ${image} needs DEST (docker://REF)`, {});
  const desc = await copyImage(
    src,
    { kind: 'docker', ref: target.replace(/^docker:\/\//, '') },
    {
      storeDir: values.store !== undefined ? resolve(values.store) : defaultStoreDir(),
      ...(values.insecure ? { insecure: true } : {}),
      ...(format ? { format } : {}),
      signal,
    },
  );
  printResult(values.json ?? false, { digest: desc.digest, reference: target }, `${target}@${desc.digest}`);
  return 0;
}
