import { type Ingester, type Provider, readBlob, writeBlob } from '@lading/content-store';
import {
  createLimiter,
  type Descriptor,
  formatPlatform,
  InvalidInputError,
  isIndexMediaType,
  isManifestMediaType,
  NotFoundError,
  type Platform,
  parsePlatform,
  platformMatches,
} from '@lading/digest';
import { distributionSourceLabel, hasInStore, pullBlob } from './blob-fetch.js';
import { caps } from './caps.js';
import { childrenOf, isForeign, isManifestLike } from './graph.js';
import { getManifest, headManifest } from './manifest-io.js';
import type { ProgressListener } from './progress.js';
import { type ImageReference, toImageReference } from './reference.js';
import { RegistryClient, type RegistryClientOptions } from './registry-client.js';
import { registryText } from './registry-text.js';

export interface PullImageOptions extends RegistryClientOptions {
  /** Keep only this platform of an index (`linux/arm64` or a Platform); default: every platform. */
  readonly platform?: Platform | string;
  readonly client?: RegistryClient;
  /** Blob transfers at once (default 4). */
  readonly concurrency?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
}

export interface PullImageResult {
  /** What the reference resolved to (an index or a manifest). */
  readonly descriptor: Descriptor;
  /** With `platform`: the manifest chosen for it; otherwise the root when it is a single manifest. */
  readonly manifest?: Descriptor;
  readonly blobs: { readonly exists: number; readonly downloaded: number };
}

export type PullTarget = Pick<Provider, 'info' | 'read'> & Ingester;

/** Resolves a reference (tag or digest) to a descriptor with HEAD (GET when HEAD says too little). */
export async function resolveImage(
  ref: string | ImageReference,
  options: RegistryClientOptions & { client?: RegistryClient; signal?: AbortSignal } = {},
): Promise<Descriptor> {
  const r = toImageReference(ref);
  const client = options.client ?? new RegistryClient(r.registry, options);
  try {
    const what = r.digest ?? r.tag ?? 'latest';
    const found = await headManifest(
      client,
      r.repository,
      what,
      options.signal ? { signal: options.signal } : {},
    );
    if (!found)
      throw new NotFoundError('MANIFEST_NOT_FOUND', `${r.registry}/${r.repository}:${what} not found`);
    if (r.digest && found.digest !== r.digest) {
      // HEAD by digest must answer for that digest; anything else is a broken registry.
      return (
        await getManifest(client, r.repository, r.digest, options.signal ? { signal: options.signal } : {})
      ).descriptor;
    }
    return found;
  } finally {
    if (!options.client) client.close();
  }
}

/**
 * Pulls an image into a store: manifests (verified, exact bytes kept) and blobs (streamed, verified), skipping what
 * the store has. With `platform`, only that platform's manifest under an index is fetched (the index is kept).
 */
export async function pullImage(
  ref: string | ImageReference,
  store: PullTarget,
  options: PullImageOptions = {},
): Promise<PullImageResult> {
  const r = toImageReference(ref);
  const client = options.client ?? new RegistryClient(r.registry, options);
  // The first failure stops the other transfers (their writers abort, so no ingest is left behind) before the
  // pull reports it; the caller's signal stops them all the same way.
  const stop = new AbortController();
  const onAbort = () => stop.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  const signal = stop.signal;
  const limit = createLimiter(options.concurrency ?? 4);
  const counts = { exists: 0, downloaded: 0 };
  const want = typeof options.platform === 'string' ? parsePlatform(options.platform) : options.platform;
  let chosen: Descriptor | undefined;
  const seen = new Map<string, Promise<void>>();
  const visit = (desc: Descriptor, parentIsRootIndex: boolean): Promise<void> => {
    let p = seen.get(desc.digest);
    if (!p) {
      p = pullNode(desc, parentIsRootIndex);
      seen.set(desc.digest, p);
    }
    return p;
  };
  const pullNode = async (desc: Descriptor, isRoot: boolean): Promise<void> => {
    if (isManifestLike(desc.mediaType)) {
      const bytes = await limit(() => manifestBytes(client, r.repository, desc, store, signal));
      let children = childrenOf(desc, bytes).filter((c) => !isForeign(c));
      if (isIndexMediaType(desc.mediaType) && want) {
        const match = children.find(
          (c) => isManifestLike(c.mediaType) && c.platform !== undefined && platformMatches(want, c.platform),
        );
        if (!match) {
          throw new NotFoundError(
            'PLATFORM_NOT_FOUND',
            `${r.registry}/${r.repository} has no image for ${formatPlatform(want)} (it has: ${registryText(
              children.map((c) => (c.platform ? formatPlatform(c.platform) : c.mediaType)).join(', '),
            )})`,
          );
        }
        if (isRoot) chosen = match;
        children = [match];
      } else if (isRoot && !isIndexMediaType(desc.mediaType)) {
        chosen = desc;
      }
      const config = isManifestMediaType(desc.mediaType) ? children[0] : undefined;
      if (config && config.size > caps.config) {
        // a config is JSON that every reader takes whole: refused before a byte of it is fetched
        throw new InvalidInputError(
          'CONFIG_TOO_LARGE',
          `config ${config.digest} of ${r.registry}/${r.repository} is ${config.size} bytes, over the ${caps.config}-byte cap`,
        );
      }
      // Largest first: the limiter starts blobs in call order, and the biggest layer sets the pull's length.
      const order = isManifestMediaType(desc.mediaType)
        ? [...children].sort((a, b) => b.size - a.size)
        : children;
      await Promise.all(order.map((c) => visit(c, false)));
      return;
    }
    const res = await limit(() =>
      pullBlob(client, r.repository, desc, store, {
        signal,
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      }),
    );
    counts[res === 'exists' ? 'exists' : 'downloaded']++;
  };
  try {
    const root = await resolveImage(r, { client, signal });
    try {
      await visit(root, true);
    } catch (err) {
      stop.abort(err);
      // wait for every transfer to wind down (one that was queued may start a visit of its own: loop until none)
      for (let settled = -1; settled !== seen.size; ) {
        settled = seen.size;
        await Promise.allSettled([...seen.values()]);
      }
      throw err;
    }
    return { descriptor: root, ...(chosen ? { manifest: chosen } : {}), blobs: counts };
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    if (!options.client) client.close();
  }
}

/** A manifest's bytes: from the store when it has them, else fetched (verified) and written to the store. */
async function manifestBytes(
  client: RegistryClient,
  repository: string,
  desc: Descriptor,
  store: PullTarget,
  signal: AbortSignal | undefined,
): Promise<Uint8Array> {
  if (await hasInStore(store, desc)) {
    return readBlob(store, { digest: desc.digest, size: desc.size }, signal ? { signal } : {});
  }
  const { bytes } = await getManifest(client, repository, desc.digest, {
    expected: desc,
    ...(signal ? { signal } : {}),
  });
  await writeBlob(store, bytes, {
    expected: { digest: desc.digest, size: desc.size },
    mediaType: desc.mediaType,
    labels: { [distributionSourceLabel(client.registry)]: repository },
    ...(signal ? { signal } : {}),
  });
  return bytes;
}
