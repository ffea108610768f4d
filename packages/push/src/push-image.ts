import { type BlobSource, blobSourceFrom, type Provider, readBlob } from '@lading/content-store';
import { type Descriptor, InvalidInputError } from '@lading/digest';
import { formatReference } from '@lading/reference-store/reference';
import { distributionSourceLabel } from './blob-fetch.js';
import { childrenOf, isForeign, isManifestLike } from './graph.js';
import { headManifest } from './manifest-io.js';
import type { ProgressListener } from './progress.js';
import { type ImageReference, toImageReference } from './reference.js';
import { RegistryClient, type RegistryClientOptions } from './registry-client.js';
import { RegistryTarget } from './registry-target.js';

export interface PushImageOptions extends RegistryClientOptions {
  /** Push by digest only (`push-by-digest`): no tag is written even when the reference has one. */
  readonly byDigest?: boolean;
  /** Reuse a client (its pools and tokens) instead of making one for this push. */
  readonly client?: RegistryClient;
  /**
   * Repositories on the target registry to mount blobs from. By default each blob's store label
   * `containerd.io/distribution.source.<registry>` (comma-separated repositories) is used when present.
   */
  readonly mountFrom?:
    | readonly string[]
    | ((desc: Descriptor) => readonly string[] | Promise<readonly string[]>);
  readonly chunkSize?: number;
  /** Blob transfers at once (default 4). */
  readonly concurrency?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
  /**
   * Awaited before the first request that writes (a mount, an upload session, a manifest PUT); reads go ahead.
   * A rejection stops the push with its error before anything is written: e.g. signing keys still unlocking.
   */
  readonly beforeWrite?: () => Promise<void>;
}

export interface PushImageResult {
  /** The root descriptor that was pushed. */
  readonly descriptor: Descriptor;
  /** `registry/repository@digest`: what was pushed, by digest. */
  readonly reference: string;
  /** Whether a manifest PUT by tag happened (false for a digest push or when the tag already pointed here). */
  readonly tagged: boolean;
  readonly blobs: { readonly exists: number; readonly mounted: number; readonly uploaded: number };
  readonly manifests: { readonly exists: number; readonly written: number };
}

/**
 * Pushes an image (a manifest or an index and everything under it) from a store to a registry: blobs first (HEAD,
 * mount, upload; `concurrency` at a time, each digest once), then child manifests by digest, the root last by tag
 * (skipped when the tag already resolves to it) or by digest.
 */
export async function pushImage(
  store: Provider,
  root: Descriptor,
  ref: string | ImageReference,
  options: PushImageOptions = {},
): Promise<PushImageResult> {
  const target = toImageReference(ref);
  if (options.client && options.client.registry !== target.registry) {
    throw new InvalidInputError(
      'CLIENT_REGISTRY_MISMATCH',
      `the client given talks to ${options.client.registry}, not to ${target.registry}; make one per registry`,
    );
  }
  const client = options.client ?? new RegistryClient(target.registry, options);
  const { signal } = options;
  const counts = { exists: 0, mounted: 0, uploaded: 0 };
  const manifests = { exists: 0, written: 0 };
  const listener = options.onProgress;
  const mountFrom = options.mountFrom ?? mountFromLabels(store, target.registry);
  const sink = new RegistryTarget(client, target.repository, {
    mountFrom,
    ...(options.chunkSize !== undefined ? { chunkSize: options.chunkSize } : {}),
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(options.beforeWrite ? { beforeWrite: options.beforeWrite } : {}),
    onProgress: (e) => {
      if (e.state === 'exists') counts.exists++;
      else if (e.state === 'mounted') counts.mounted++;
      else if (e.state === 'uploaded') counts.uploaded++;
      listener?.(e);
    },
  });
  const seen = new Map<string, Promise<void>>();
  const visit = (desc: Descriptor): Promise<void> => {
    let p = seen.get(desc.digest);
    if (!p) {
      p = pushNode(desc);
      seen.set(desc.digest, p);
    }
    return p;
  };
  const readManifest = (desc: Descriptor) =>
    readBlob(store, { digest: desc.digest, size: desc.size }, signal ? { signal } : {});
  const pushNode = async (desc: Descriptor): Promise<void> => {
    if (isManifestLike(desc.mediaType)) {
      const bytes = await readManifest(desc);
      await Promise.all(
        childrenOf(desc, bytes)
          .filter((c) => !isForeign(c))
          .map(visit),
      );
      const r = await sink.put(desc, bytesSource(desc, bytes), signal ? { signal } : {});
      if (r === 'exists') manifests.exists++;
      else manifests.written++;
      return;
    }
    await sink.put(desc, blobSourceFrom(store, desc), signal ? { signal } : {});
  };
  try {
    if (target.digest !== undefined && target.digest !== root.digest) {
      throw new InvalidInputError(
        'REFERENCE_DIGEST_MISMATCH',
        `cannot push ${root.digest} as ${formatReference(target)}: the reference names another digest`,
      );
    }
    // Docker's default: a name without tag or digest means :latest.
    const tag = options.byDigest
      ? undefined
      : (target.tag ?? (target.digest === undefined ? 'latest' : undefined));
    let tagged = false;
    if (tag !== undefined && isManifestLike(root.mediaType)) {
      const bytes = await readManifest(root);
      // where the tag points now is asked while the children move: one round trip less
      const [current] = await Promise.all([
        headManifest(client, target.repository, tag, { scopes: sink.scopes, ...(signal ? { signal } : {}) }),
        Promise.all(
          childrenOf(root, bytes)
            .filter((c) => !isForeign(c))
            .map(visit),
        ),
      ]);
      tagged = await sink.tag(root, tag, { bytes, current, ...(signal ? { signal } : {}) });
      if (tagged) manifests.written++;
      else manifests.exists++;
    } else {
      await visit(root);
    }
    return {
      descriptor: root,
      reference: formatReference({
        registry: target.registry,
        repository: target.repository,
        digest: root.digest,
      }),
      tagged,
      blobs: counts,
      manifests,
    };
  } finally {
    if (!options.client) client.close();
  }
}

function bytesSource(desc: Descriptor, bytes: Uint8Array): BlobSource {
  return {
    descriptor: desc,
    async *open() {
      yield bytes;
    },
  };
}

/** containerd's label naming the repositories a blob came from on a registry: mount candidates. */
function mountFromLabels(
  store: Provider,
  registry: string,
): (desc: Descriptor) => Promise<readonly string[]> {
  const key = distributionSourceLabel(registry);
  return async (desc) => {
    try {
      const info = await store.info(desc.digest);
      const v = info.labels[key];
      return v ? v.split(',').filter(Boolean) : [];
    } catch {
      // not in the store's metadata (or no labels): no mount candidates
      return [];
    }
  };
}
