import { resolve } from 'node:path';
import { OptionError } from '@lading/digest';
import type { ContainerdCopyOptions } from '../../operations/copy-containerd.js';
import { type CopyFormat, copyImage } from '../../operations/copy-image.js';
import { commonOptions, defaultStoreDir, parseImageLocation, printResult } from '../common.js';
import { helpTexts } from '../help.js';
import { parseArgs } from '../parse-args.js';

export const help = helpTexts.copy;

export async function run(args: string[], signal: AbortSignal): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...commonOptions,
      insecure: { type: 'boolean' },
      format: { type: 'string' },
      'containerd-address': { type: 'string' },
      namespace: { type: 'string' },
      unpack: { type: 'boolean' },
      snapshotter: { type: 'string' },
    },
  });
  const format = parseFormat(values.format);
  const [src, dst] = positionals;
  if (src === undefined || dst === undefined || positionals.length > 2)
    throw new OptionError('COPY_ARGS', 'lading copy takes SOURCE and DEST', {});
  const from = parseImageLocation(src);
  const to = parseImageLocation(dst);
  const containerd = await containerdCopyOptions(
    values,
    from.kind === 'containerd' || to.kind === 'containerd',
  );
  if ((values.unpack || values.snapshotter !== undefined) && to.kind !== 'containerd') {
    throw new OptionError('COPY_UNPACK', '--unpack and --snapshotter are for a containerd:// destination', {
      key: 'unpack',
    });
  }
  const desc = await copyImage(from, to, {
    storeDir: values.store !== undefined ? resolve(values.store) : defaultStoreDir(),
    ...(containerd ? { containerd } : {}),
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

/** The containerd flags of copy, checked before anything is read (a bad namespace is exit 3). */
async function containerdCopyOptions(
  values: { 'containerd-address'?: string; namespace?: string; unpack?: boolean; snapshotter?: string },
  used: boolean,
): Promise<ContainerdCopyOptions | undefined> {
  if (!used) return undefined;
  const { resolveContainerdLocation } = await import('@lading/containerd');
  const { address, namespace } = resolveContainerdLocation({
    address: values['containerd-address'],
    namespace: values.namespace,
  });
  return {
    address,
    namespace,
    ...(values.unpack ? { unpack: true } : {}),
    ...(values.snapshotter !== undefined ? { snapshotter: values.snapshotter } : {}),
  };
}

/** `--format`: the media types a copy writes. */
export function parseFormat(value: string | undefined): CopyFormat | undefined {
  if (value === undefined) return undefined;
  if (value === 'oci' || value === 'docker' || value === 'keep') return value;
  throw new OptionError('COPY_FORMAT', `--format ${value}: use oci, docker or keep`, { key: 'format' });
}
