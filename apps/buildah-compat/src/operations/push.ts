import { writeFile } from 'node:fs/promises';
import { OptionError } from '@lading/digest';
import type { Storage } from '../storage/storage.js';
import {
  parseImageReference,
  type RemoteReference,
  type TransferOptions,
  writeImage,
} from '../transports/index.js';
import { defaultCompression } from './default-compression.js';
import { prepareSigners, type SignOptions, signWritten } from './sign.js';

export interface PushOptions extends TransferOptions, SignOptions {
  /** Where to write the pushed manifest's digest. */
  readonly digestFile?: string;
  /** `--disable-compression`: every layer goes as it is stored (no default gzip for registries). */
  readonly disableCompression?: boolean;
}

/**
 * `buildah push IMAGE [DEST]`: IMAGE from local storage to DEST; a DEST without a transport is `docker://`, no DEST
 * pushes to IMAGE's own name. `containers-storage:NAME` as DEST only adds a name.
 */
export async function pushImage(
  storage: Storage,
  image: string,
  destination: string | undefined,
  options: PushOptions = {},
): Promise<{ manifestDigest: string; destination: string }> {
  const record = await storage.getImage(image);
  const target = destination ?? image;
  const parsed = parseImageReference(target);
  let dest: RemoteReference;
  if (parsed.transport === 'containers-storage') {
    if (target.startsWith('containers-storage:')) {
      await storage.tagImage(record.id, [parsed.name]);
      return { manifestDigest: record.manifest.digest, destination: target };
    }
    dest = { transport: 'docker', ref: parsed.name };
  } else {
    dest = parsed;
  }
  if (options.format !== undefined && options.format !== 'oci' && options.format !== 'v2s2') {
    throw new OptionError('FORMAT_UNKNOWN', `--format=${String(options.format)}: use oci or v2s2`, {
      key: 'format',
    });
  }
  const {
    digestFile,
    disableCompression,
    signBy,
    signBySigstorePrivateKey,
    signPassphraseFile,
    signIdentity,
    ...rest
  } = options;
  const signing = {
    ...(signBy !== undefined ? { signBy } : {}),
    ...(signBySigstorePrivateKey !== undefined ? { signBySigstorePrivateKey } : {}),
    ...(signPassphraseFile !== undefined ? { signPassphraseFile } : {}),
    ...(signIdentity !== undefined ? { signIdentity } : {}),
  };
  // keys are unlocked and the destination checked before anything is written
  const signers = await prepareSigners(dest, signing);
  const transfer: TransferOptions =
    rest.compression === undefined && disableCompression !== true
      ? { ...rest, ...defaultCompression(dest) }
      : rest;
  const written = await writeImage(
    dest,
    {
      store: storage.store,
      manifest: record.manifest,
      reference: { transport: 'containers-storage', name: record.names[0] ?? record.id },
    },
    transfer,
  );
  await signWritten(dest, written.manifest, signers, { ...transfer, ...signing });
  if (digestFile !== undefined) await writeFile(digestFile, written.manifestDigest);
  return { manifestDigest: written.manifestDigest, destination: target };
}
