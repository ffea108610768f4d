import { type BlobSink, type BlobSource, blobSourceFrom } from '@lading/content-store';
import {
  type Descriptor,
  type Digest,
  digestOf,
  goJson,
  isLadingError,
  isNotFoundError,
  isOptionError,
  LadingError,
  MediaType,
  mapLimit,
  NotFoundError,
  OptionError,
  sortedMap,
} from '@lading/digest';
import type { CacheChains, MarshalledCache } from './cache-chains.js';
import type { CacheExportOptions } from './cache-options.js';
import { encodeCacheConfig } from './encode-cache-config.js';
import { convertLayerMediaType } from './layer-media-types.js';
import { cacheConfigMediaType } from './spec.js';

/** BuildKit's response key: the JSON of the root descriptor. */
export const exporterResponseManifestDesc = 'cache.manifest';

/**
 * Where a cache goes: any blob sink (a local store, a memory store, a registry), and optionally a way to name the
 * root once everything under it is written (a tag in index.json, a registry tag).
 */
export interface CacheExportTarget {
  readonly sink: BlobSink;
  name?(root: Descriptor, rootBytes: Uint8Array): Promise<void>;
}

export interface ExportProgress {
  /**
   * BuildKit's progress names: "writing layer sha256:…", "writing config sha256:…", "writing cache manifest
   * sha256:…" (or "writing cache image manifest sha256:…"), "skipping cache export for empty result".
   */
  readonly id: string;
  readonly status: 'started' | 'done' | 'error';
}

export interface ExportCacheOptions extends CacheExportOptions {
  readonly signal?: AbortSignal;
  /** Layer blobs copied at once (default 4). */
  readonly concurrency?: number;
  readonly onProgress?: (event: ExportProgress) => void;
}

export interface CacheExportResult {
  /** `{ "cache.manifest": "<descriptor JSON>" }`; empty when nothing was written (skipped, or an ignored error). */
  readonly response: Readonly<Record<string, string>>;
  readonly descriptor?: Descriptor;
  /** The config blob's descriptor and bytes. */
  readonly config?: { readonly descriptor: Descriptor; readonly bytes: Uint8Array };
  /** Set with `ignoreError` when the export failed. */
  readonly error?: Error;
  /** The chains held no layer: nothing was written (BuildKit: "failed to match any cache with layers"). */
  readonly skipped?: boolean;
}

/** A descriptor as Go's ocispec.Descriptor marshals (field order, sorted annotations). */
export function descriptorJson(d: Descriptor): Record<string, unknown> {
  const out: Record<string, unknown> = { mediaType: d.mediaType, digest: d.digest, size: d.size };
  if (d.urls && d.urls.length > 0) out.urls = d.urls;
  if (d.annotations && Object.keys(d.annotations).length > 0) out.annotations = sortedMap(d.annotations);
  if (d.platform) out.platform = d.platform;
  if (d.artifactType) out.artifactType = d.artifactType;
  return out;
}

function bytesSource(desc: Descriptor, bytes: Uint8Array): BlobSource {
  return {
    descriptor: desc,
    async *open(options) {
      yield options?.offset ? bytes.subarray(options.offset) : bytes;
    },
  };
}

/**
 * Exports cache chains as BuildKit's remote cache exporter does (cache/remotecache/export.go): every layer blob,
 * the config blob, then the root, written children first. The root is an OCI image manifest whose config is the
 * cache config (the default, as BuildKit since v0.21), an OCI index (`imageManifest: false`), or a Docker manifest
 * list with Docker layer types (`ociMediatypes: false`). Chains without a layer write nothing (`skipped`).
 */
export async function exportCache(
  chains: CacheChains,
  target: CacheExportTarget,
  options: ExportCacheOptions = {},
): Promise<CacheExportResult> {
  try {
    return await exportUnchecked(chains.marshal(options.mode ? { mode: options.mode } : {}), target, options);
  } catch (error) {
    if (options.ignoreError && !isOptionError(error) && !options.signal?.aborted) {
      return { response: {}, error: error as Error };
    }
    throw error;
  }
}

async function exportUnchecked(
  marshalled: MarshalledCache,
  target: CacheExportTarget,
  options: ExportCacheOptions,
): Promise<CacheExportResult> {
  if (options.imageManifest && options.ociMediatypes === false) {
    throw new OptionError(
      'BAD_CACHE_OPTION',
      'image-manifest=true needs OCI media types; drop oci-mediatypes=false',
      { key: 'image-manifest' },
    );
  }
  // BuildKit's defaults (cache/remotecache/registry/registry.go, local/local.go): OCI types, image manifest form.
  const oci = options.ociMediatypes ?? true;
  const imageManifest = options.imageManifest ?? oci;
  const { config, blobs } = marshalled;
  const putOptions = options.signal ? { signal: options.signal } : {};
  const step = async <T>(id: string, run: () => Promise<T>): Promise<T> => {
    options.onProgress?.({ id, status: 'started' });
    try {
      const r = await run();
      options.onProgress?.({ id, status: 'done' });
      return r;
    } catch (e) {
      options.onProgress?.({ id, status: 'error' });
      throw e;
    }
  };

  const copyLayer = async (l: (typeof config.layers)[number]): Promise<Descriptor> => {
    const blob = blobs.get(l.blob);
    if (!blob) throw new NotFoundError('CACHE_BLOB_MISSING', `missing blob ${l.blob} for the cache config`);
    const provider = blob.provider;
    await step(`writing layer ${l.blob}`, async () => {
      if (!provider) {
        if (await target.sink.has(blob.descriptor)) return;
        throw new NotFoundError(
          'CACHE_BLOB_MISSING',
          `layer blob ${l.blob} has no provider and is not in the target; export it from a store that holds it`,
        );
      }
      try {
        await target.sink.put(blob.descriptor, blobSourceFrom(provider, blob.descriptor), putOptions);
      } catch (cause) {
        if (isNotFoundError(cause)) {
          throw new NotFoundError(
            'CACHE_BLOB_MISSING',
            `layer blob ${l.blob} is not in its store; rebuild the layer or export with ignore-error=true`,
            { cause },
          );
        }
        if (isLadingError(cause)) throw cause;
        throw new LadingError(
          'CACHE_EXPORT_FAILED',
          `error writing layer blob ${l.blob}: ${(cause as Error)?.message ?? String(cause)}`,
          { cause },
        );
      }
    });
    return blob.descriptor;
  };
  if (config.layers.length === 0) {
    await step('skipping cache export for empty result', async () => {});
    return { response: {}, skipped: true };
  }
  // Layers move a few at a time (started in config order); the config and the root wait for all of them.
  const copied = await mapLimit(config.layers, options.concurrency ?? 4, copyLayer);
  // As BuildKit's FinalizeCache: the layer types follow oci-mediatypes.
  const layerDescs = copied.map((d) => ({ ...d, mediaType: convertLayerMediaType(d.mediaType, { oci }) }));

  const configBytes = encodeCacheConfig(config);
  const configDesc: Descriptor = {
    mediaType: cacheConfigMediaType,
    digest: digestOf(configBytes),
    size: configBytes.byteLength,
  };
  await step(`writing config ${configDesc.digest}`, () =>
    target.sink.put(configDesc, bytesSource(configDesc, configBytes), putOptions),
  );

  let root: Record<string, unknown>;
  let rootType: string;
  if (imageManifest) {
    rootType = MediaType.ociManifest;
    root = {
      schemaVersion: 2,
      mediaType: rootType,
      config: descriptorJson(configDesc),
      layers: layerDescs.map(descriptorJson),
    };
  } else {
    rootType = oci ? MediaType.ociIndex : MediaType.dockerManifestList;
    root = {
      schemaVersion: 2,
      mediaType: rootType,
      manifests: [...layerDescs, configDesc].map(descriptorJson),
    };
  }
  const rootBytes = new TextEncoder().encode(goJson(root));
  const rootDesc: Descriptor = {
    mediaType: rootType,
    digest: digestOf(rootBytes) as Digest,
    size: rootBytes.byteLength,
  };
  const rootStep = imageManifest ? 'writing cache image manifest' : 'writing cache manifest';
  await step(`${rootStep} ${rootDesc.digest}`, async () => {
    await target.sink.put(rootDesc, bytesSource(rootDesc, rootBytes), putOptions);
    await target.name?.(rootDesc, rootBytes);
  });
  return {
    response: { [exporterResponseManifestDesc]: goJson(descriptorJson(rootDesc)) },
    descriptor: rootDesc,
    config: { descriptor: configDesc, bytes: configBytes },
  };
}
