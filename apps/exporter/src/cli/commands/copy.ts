import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { OptionError } from '@lading/digest';
import { type CopyFormat, copyImage } from '../../operations/copy-image.js';
import { commonOptions, defaultStoreDir, parseImageLocation, printResult } from '../common.js';

export const help = `Usage: lading copy SOURCE DEST [options]

Copy an image (every platform) between an OCI layout (oci:DIR:TAG), a registry (docker://REF) and the lading
store (a bare NAME).

Into an OCI layout, Docker schema2 manifests and indexes are converted to OCI media types (new digests; layer and
config bytes unchanged); elsewhere the image is copied as it is, unless --format asks.

Options:
      --insecure       Allow http and unverified TLS for the registry
      --format FORMAT  oci, docker or keep: the media types written (default: oci into oci:, else keep)

Examples:
  lading copy oci:./out:latest docker://localhost:5000/hello:1 --insecure
  lading copy docker://docker.io/library/busybox:latest oci:./busybox:latest
  lading copy oci:./out:latest hello:latest
`;

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
