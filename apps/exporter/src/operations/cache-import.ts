import { resolve } from 'node:path';
import { defaultMaxBlobBytes, type FullStore } from '@lading/content-store';
import {
  type Compression,
  type Descriptor,
  type Digest,
  InvalidInputError,
  isIndexMediaType,
  isManifestMediaType,
  isNotFoundError,
  layerCompression,
  parseDigest,
} from '@lading/digest';
import type { CacheReader, ImportedCache } from '@lading/remote-cache';
import type { ExportLayer, ExportLogger, ExportProgress } from '../plugin/types.js';
import { type CacheSpec, registryInsecure } from './cache-spec.js';

/** An imported --cache-from cache and where its layer blobs come from. */
export interface LayerCacheSource {
  readonly name: string;
  readonly cache: ImportedCache;
  /** Copies one of the cache's blobs into `store` (no-op when it is there already). */
  fetch(desc: Descriptor, store: FullStore, signal?: AbortSignal): Promise<void>;
  close(): void;
}

/**
 * A reader over a registry repository, as containerd's fetcher picks the endpoint: manifests and indexes from
 * /manifests/, everything else from /blobs/ (and /manifests/ when /blobs/ has no such digest). The root, fetched
 * already to resolve the tag, is served from memory.
 */
async function registryReader(
  client: import('@lading/push').RegistryClient,
  repo: string,
  root: { descriptor: Descriptor; bytes: Uint8Array },
): Promise<CacheReader> {
  const { fetchBlob, getManifest } = await import('@lading/push');
  const manifest = async (d: Descriptor, signal?: AbortSignal) =>
    (await getManifest(client, repo, d.digest, { expected: d, ...(signal ? { signal } : {}) })).bytes;
  return {
    async read(d, { signal }) {
      if (d.digest === root.descriptor.digest) return root.bytes;
      if (isManifestMediaType(d.mediaType) || isIndexMediaType(d.mediaType)) return manifest(d, signal);
      if (d.size > defaultMaxBlobBytes) {
        throw new InvalidInputError(
          'BLOB_TOO_LARGE',
          `blob ${d.digest} is ${d.size} bytes, over the ${defaultMaxBlobBytes}-byte limit for a cache's JSON`,
        );
      }
      const chunks: Uint8Array[] = [];
      try {
        for await (const c of fetchBlob(client, repo, d, signal ? { signal } : {})) chunks.push(c);
      } catch (error) {
        if (isNotFoundError(error)) return manifest(d, signal);
        throw error;
      }
      return new Uint8Array(Buffer.concat(chunks));
    },
  };
}

async function importRegistryCache(spec: CacheSpec, signal?: AbortSignal): Promise<LayerCacheSource> {
  const { RegistryClient, getManifest, pullBlob } = await import('@lading/push');
  const { parseNormalizedReference } = await import('@lading/reference-store/reference');
  const { importCacheWith } = await import('@lading/remote-cache');
  const ref = parseNormalizedReference(spec.attrs.ref as string);
  const insecure = registryInsecure(spec);
  const client = new RegistryClient(ref.registry, insecure ? { insecure: true } : {});
  const repo = ref.repository;
  const so = signal ? { signal } : {};
  try {
    const root = await getManifest(client, repo, ref.digest ?? ref.tag ?? 'latest', so);
    const cache = await importCacheWith(await registryReader(client, repo, root), root.descriptor, so);
    return {
      name: `registry ${spec.attrs.ref}`,
      cache,
      async fetch(desc, store, sig) {
        await pullBlob(client, repo, desc, store, sig ? { signal: sig } : {});
      },
      close: () => client.close(),
    };
  } catch (error) {
    client.close();
    throw error;
  }
}

async function importLocal(spec: CacheSpec, cwd: string, signal?: AbortSignal): Promise<LayerCacheSource> {
  const { importLocalCache } = await import('@lading/remote-cache');
  const { copyBlob } = await import('@lading/content-store');
  const src = resolve(cwd, spec.attrs.src as string);
  const cache = await importLocalCache(src, {
    tag: spec.attrs.tag ?? 'latest',
    ...(spec.attrs.digest ? { digest: spec.attrs.digest } : {}),
    ...(signal ? { signal } : {}),
  });
  const provider = cache.provider as NonNullable<ImportedCache['provider']>;
  return {
    name: `local ${src}`,
    cache,
    async fetch(desc, store, sig) {
      try {
        await store.info(desc.digest);
      } catch {
        await copyBlob(provider, store, desc, sig ? { signal: sig } : {});
      }
    },
    close() {},
  };
}

/** One line for a failed import (no stack: it is a warning about the user's cache, not a crash). */
function reason(error: unknown): string {
  const e = error as { message?: unknown; code?: unknown };
  const text = typeof e?.message === 'string' && e.message !== '' ? e.message : String(error);
  return text.split('\n')[0] as string;
}

/**
 * Imports each --cache-from cache (`type=local,src=DIR` or `type=registry,ref=REF`, a BuildKit cache in any of its
 * forms or an image with an inline cache). As in BuildKit, a cache that does not exist, cannot be reached or holds
 * something else is a warning and the export goes on without it (the specs were checked before any work: the CLI's
 * `checkCacheSpecs` refuses a malformed flag).
 */
export async function importLayerCaches(
  specs: readonly CacheSpec[],
  options: { cwd?: string; signal?: AbortSignal; logger?: ExportLogger; progress?: ExportProgress } = {},
): Promise<LayerCacheSource[]> {
  const out: LayerCacheSource[] = [];
  try {
    for (const spec of specs) {
      const name = spec.type === 'local' ? `local ${spec.attrs.src}` : `registry ${spec.attrs.ref}`;
      const id = `cache-from ${spec.text}`;
      options.progress?.start(id, `importing cache manifest from ${name}`);
      try {
        const source =
          spec.type === 'local'
            ? await importLocal(spec, options.cwd ?? process.cwd(), options.signal)
            : await importRegistryCache(spec, options.signal);
        out.push(source);
        const c = source.cache;
        options.logger?.debug(
          `imported ${source.name}: ${c.config.records.length} records, ${c.config.layers.length} layers (${c.form ?? 'cache'})`,
        );
      } catch (error) {
        if (options.signal?.aborted) throw error;
        options.logger?.warn(`--cache-from ${spec.text}: ${reason(error)}; exporting without this cache`);
      } finally {
        options.progress?.done(id);
      }
    }
  } catch (error) {
    for (const c of out) c.close();
    throw error;
  }
  return out;
}

/** The diff ID a cache records for a layer blob: on its descriptor, or in the cache config's layer annotations. */
function cachedDiffId(cache: ImportedCache, desc: Descriptor): Digest | undefined {
  const onDesc = desc.annotations?.['containerd.io/uncompressed'];
  const inConfig = cache.config.layers.find((l) => l.blob === desc.digest)?.annotations?.diffID;
  const d = onDesc ?? inConfig;
  if (d === undefined) return undefined;
  try {
    return parseDigest(d);
  } catch {
    return undefined;
  }
}

/**
 * The layer a --cache-from cache holds for the input whose key is `keys[0]` (its chain keys above it follow), copied
 * into `store`, or undefined. A result of a later key holds this layer too (keys chain over the inputs below), so a
 * cache that kept only the top record's result still serves every layer. The layer must sit at `depth` (1-based) in
 * a chain of the expected length, in the compression asked for, with a known diff ID.
 */
export async function reuseCachedLayer(
  sources: readonly LayerCacheSource[],
  keys: readonly Digest[],
  want: { depth: number; compression: Compression },
  store: FullStore,
  signal?: AbortSignal,
): Promise<{ layer: ExportLayer; from: string } | undefined> {
  for (let k = 0; k < keys.length; k++) {
    for (const src of sources) {
      for (const found of src.cache.findResults(keys[k] as Digest)) {
        if (found.layers.length !== want.depth + k) continue;
        const desc = found.layers[want.depth - 1] as Descriptor;
        if ((layerCompression(desc.mediaType) ?? 'gzip') !== want.compression) continue;
        const diffId = cachedDiffId(src.cache, desc);
        if (diffId === undefined) continue;
        await src.fetch(desc, store, signal);
        const { annotations: _dropped, ...descriptor } = desc;
        return {
          layer: { descriptor: descriptor as ExportLayer['descriptor'], diffId, uncompressedSize: -1 },
          from: src.name,
        };
      }
    }
  }
  return undefined;
}
