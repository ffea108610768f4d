import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { OptionError } from '@lading/digest';
import { copyImage } from '../../operations/copy-image.js';
import { commonOptions, defaultStoreDir, parseImageLocation, printResult } from '../common.js';

export const help = `Usage: lading copy SOURCE DEST [options]

Copy an image (every platform) between an OCI layout (oci:DIR:TAG), a registry (docker://REF) and the lading
store (a bare NAME).

Options:
      --insecure   Allow http and unverified TLS for the registry

Examples:
  lading copy oci:./out:latest docker://localhost:5000/hello:1 --insecure
  lading copy docker://docker.io/library/busybox:latest oci:./busybox:latest
  lading copy oci:./out:latest hello:latest
`;

export async function run(args: string[], signal: AbortSignal): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...commonOptions, insecure: { type: 'boolean' } },
  });
  const [src, dst] = positionals;
  if (src === undefined || dst === undefined || positionals.length > 2)
    throw new OptionError('COPY_ARGS', 'lading copy takes SOURCE and DEST', {});
  const desc = await copyImage(parseImageLocation(src), parseImageLocation(dst), {
    storeDir: values.store !== undefined ? resolve(values.store) : defaultStoreDir(),
    ...(values.insecure ? { insecure: true } : {}),
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
