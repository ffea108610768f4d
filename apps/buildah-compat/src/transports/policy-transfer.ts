import type { Store } from '@lading/content-store';
import type { Descriptor } from '@lading/digest';
import { parseNormalizedReference } from '@lading/reference-store/reference';
import {
  type ImageReference,
  type ImageSource,
  type RemoteReference,
  readImage as readTransport,
  registryOptions,
  type TransferOptions as TransportOptions,
  writeImage as writeTransport,
} from '@lading/transports';
import { loadPolicy } from '../policy/policy.js';
import { openPolicyImage } from '../policy/policy-image.js';

export interface TransferOptions extends TransportOptions {
  /** `--signature-policy`; default: $HOME/.config/containers/policy.json, else /etc/containers/policy.json. */
  policyPath?: string;
  /** registries.d for signature lookasides (buildah's `--registries-conf-dir`); default as containers/image. */
  registriesDir?: string;
}

/** The storage transport's reference for an image without a name (buildah's commit source has none). */
const unnamedLocalImage: ImageReference = { transport: 'containers-storage', name: '' };

/**
 * Checks the signature policy on the source of a copy, as containers/image's copy.Image does before it reads
 * anything. The destination is not checked: containers/image never evaluates policy on a destination, and issue #9
 * asks for enforcement "as containers/image does" on every write (commit, push, from), i.e. on each copy's source.
 */
async function checkSource(ref: ImageReference, opts: TransferOptions): Promise<Descriptor | undefined> {
  const policy = await loadPolicy(opts.policyPath);
  const image = openPolicyImage(ref, {
    ...(ref.transport === 'docker'
      ? { registry: registryOptions(opts, parseNormalizedReference(ref.ref).registry) }
      : {}),
    ...(opts.registriesDir !== undefined ? { registriesDir: opts.registriesDir } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  try {
    await policy.check(ref, image);
    return image.judged();
  } finally {
    image.close();
  }
}

/** buildah push: the policy checked on the source (default: an unnamed local image), then the transport's write. */
export async function writeImage(
  dest: RemoteReference,
  src: ImageSource,
  opts: TransferOptions,
): Promise<{ manifestDigest: string; manifest: Descriptor }> {
  await checkSource(src.reference ?? unnamedLocalImage, opts);
  return writeTransport(dest, src, opts);
}

/** buildah from/pull: the policy checked on the source, and the manifest it judged is the one read. */
export async function readImage(
  src: RemoteReference,
  into: Store,
  opts: TransferOptions,
): Promise<{ manifest: Descriptor }> {
  const judged = await checkSource(src, opts);
  return readTransport(src, into, { ...opts, ...(judged ? { judged } : {}) });
}
