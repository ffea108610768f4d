import type { FullStore, IndexManager } from '@lading/content-store';
import { openLocalStore } from '@lading/content-store';
import { AnnotationRefName, type Descriptor } from '@lading/digest';
import type { CacheChains } from './cache-chains.js';
import { encodeCacheConfig } from './encode-cache-config.js';
import type { CacheExportTarget } from './export-cache.js';
import { inlineCacheConfigKey } from './spec.js';

export interface LocalCacheTargetOptions {
  /** Tag of the root in index.json (BuildKit's local cache uses `latest`). */
  readonly tag?: string;
}

/** A target over any store with an index: blobs into the store, the root into index.json under the tag. */
export function storeCacheTarget(
  store: FullStore | (IndexManager & CacheExportTarget['sink']),
  options: LocalCacheTargetOptions = {},
): CacheExportTarget {
  const tag = options.tag ?? 'latest';
  return {
    sink: store,
    async name(root: Descriptor) {
      await store.updateIndex((index) => ({
        ...index,
        schemaVersion: 2,
        mediaType: index.mediaType ?? 'application/vnd.oci.image.index.v1+json',
        manifests: [
          ...index.manifests.filter((m) => m.annotations?.[AnnotationRefName] !== tag),
          { ...root, annotations: { [AnnotationRefName]: tag } },
        ],
      }));
    },
  };
}

/** `type=local,dest=DIR[,tag=T]`: the cache as an OCI image layout that skopeo and BuildKit read. */
export async function openLocalCacheTarget(
  dir: string,
  options: LocalCacheTargetOptions = {},
): Promise<CacheExportTarget & { readonly store: FullStore }> {
  const store = await openLocalStore(dir);
  return { ...storeCacheTarget(store, options), store };
}

/**
 * `type=inline`: the min-mode cache config, as the string the image exporter puts under `moby.buildkit.cache.v0`
 * in the image config (Go marshals the []byte as base64). The layers are the image's own, so nothing is copied.
 */
export function encodeInlineCache(chains: CacheChains): { readonly key: string; readonly value: string } {
  const { config } = chains.marshal({ mode: 'min' });
  return { key: inlineCacheConfigKey, value: Buffer.from(encodeCacheConfig(config)).toString('base64') };
}
