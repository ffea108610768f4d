import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { OptionError } from '@lading/digest';
import { type CopyFormat, copyImage } from '../../operations/copy-image.js';
import { commonOptions, defaultStoreDir, parseImageLocation, printResult } from '../common.js';
import { helpTexts } from '../help.js';

export const help = helpTexts.copy;

export async function run(args: string[], signal: AbortSignal): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...commonOptions, insecure: { type: 'boolean' }, format: { type: 'string' } },
  });
  const format = parseFormat(values.format);
  const [src, dst] = positionals;
  if (src === undefined || dst === undefined || positionals.length > 2)
    throw new OptionError('COPY_ARGS', 'lading copy takes SOURCE and DEST', {});
  const desc = await copyImage(parseImageLocation(src), parseImageLocation(dst), {
    storeDir: values.store !== undefined ? resolve(values.store) : defaultStoreDir(),
    ...(values.insecure ? { insecure: true } : {}),
    ...(format ? { format } : {}),
    signal,
    onProgress: (m) => values.progress !== 'quiet' && process.stderr.write(`${m}\n`),
  });
  printResult(
    values.json ?? false,
    { digest: desc.digest, mediaType: desc.mediaType, size: desc.size },
    desc.digest,
  );
  return 0;
}

/** `--format`: the media types a copy writes. */
export function parseFormat(value: string | undefined): CopyFormat | undefined {
  if (value === undefined) return undefined;
  if (value === 'oci' || value === 'docker' || value === 'keep') return value;
  throw new OptionError('COPY_FORMAT', `--format ${value}: use oci, docker or keep`, { key: 'format' });
}
