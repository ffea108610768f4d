import type { FullStore, IndexManager } from '@lading/content-store';
import { openLocalStore } from '@lading/content-store';
import { AnnotationRefName, type Descriptor } from '@lading/digest';
import type { CacheExportTarget } from './export-cache.js';

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
