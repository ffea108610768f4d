import { resolve } from 'node:path';
import type { BlobSink, FullStore, Provider } from '@lading/content-store';
import {
  type Compression,
  type Descriptor,
  type Digest,
  IntegrityError,
  isLadingError,
  isLayerMediaType,
  isOptionError,
  layerCompression,
  OptionError,
  RegistryError,
} from '@lading/digest';
import type { CacheChains, CacheExportOptions, CacheExportTarget } from '@lading/remote-cache';
import { singleImage } from '../exporters/image-options.js';
import type {
  ExportImage,
  ExportLayer,
  ExportLogger,
  ExportProgress,
  ExportSource,
} from '../plugin/types.js';
import { type CacheSpec, registryInsecure } from './cache-spec.js';

/**
 * The image's layer chain as cache records: one per input layer (keyed by `keys`, the image's last `keys.length`
 * layers), each linked to the one below, each with its chain of layers (base layers first) as its result.
 */
async function layerChains(
  layers: readonly ExportLayer[],
  provider: Provider,
  keys: readonly Digest[],
  createdAt: Date,
): Promise<CacheChains> {
  const { CacheChains, annotationCreatedAt, annotationUncompressed } = await import('@lading/remote-cache');
  const chains = new CacheChains();
  const baseCount = layers.length - keys.length;
  // RFC 3339 as Go prints it (no trailing zeros in the fraction).
  const at = createdAt.toISOString().replace(/\.(\d*?)0*Z$/, (_m, f: string) => (f ? `.${f}Z` : 'Z'));
  // BuildKit's layer descriptors carry the diff ID and the creation time as annotations.
  const described = layers.map((l) => ({
    ...l.descriptor,
    annotations: {
      ...l.descriptor.annotations,
      [annotationUncompressed]: l.diffId,
      [annotationCreatedAt]: at,
    },
  }));
  let prev: ReturnType<CacheChains['add']> | undefined;
  for (const [i, key] of keys.entries()) {
    const rec = chains.add(key);
    if (prev) chains.link(prev, rec, { input: 0 });
    chains.addResult(rec, { descriptors: described.slice(0, baseCount + i + 1), provider }, { createdAt });
    prev = rec;
  }
  return chains;
}

/** Reads each blob from `first` when it holds it, else from `second`. */
function eitherProvider(first: Provider, second: Provider): Provider {
  const holds = async (digest: Digest) =>
    first.info(digest).then(
      () => true,
      () => false,
    );
  return {
    info: async (digest) => ((await holds(digest)) ? first : second).info(digest),
    async *read(ref, options) {
      yield* ((await holds(ref.digest)) ? first : second).read(ref, options);
    },
  };
}

/**
 * BuildKit's `force-compression`: every layer of the chain in the cache's compression (decompressed and compressed
 * again in one pass, into `store`; diff IDs unchanged). Without it BuildKit keeps a layer's existing blob, and so
 * does this: every layer here already has one.
 */
async function forcedLayers(
  image: ExportImage,
  provider: Provider,
  opts: CacheExportOptions,
  openStore: (() => Promise<FullStore>) | undefined,
  signal?: AbortSignal,
): Promise<{ layers: readonly ExportLayer[]; provider: Provider }> {
  const want = opts.compression;
  if (!opts.forceCompression || want === undefined) return { layers: image.layers, provider };
  if (want === 'estargz') {
    throw new OptionError(
      'CACHE_COMPRESSION',
      'compression=estargz is not supported; use gzip, zstd or uncompressed',
      {
        key: 'compression',
      },
    );
  }
  if (!openStore) {
    throw new OptionError('CACHE_STORE', 'force-compression needs a store for the recompressed layers');
  }
  const store = await openStore();
  const { layerFromTarball } = await import('@lading/layer');
  const out: ExportLayer[] = [];
  for (const l of image.layers) {
    if ((layerCompression(l.descriptor.mediaType) ?? 'gzip') === want) {
      out.push(l);
      continue;
    }
    const redone = await layerFromTarball(provider.read(l.descriptor, signal ? { signal } : {}), store, {
      compression: want as Compression,
      oci: true,
      ...(opts.compressionLevel !== undefined ? { level: opts.compressionLevel } : {}),
      ...(signal ? { signal } : {}),
    });
    if (redone.diffId !== l.diffId) {
      throw new IntegrityError(
        'CACHE_LAYER_DIFFID',
        `layer ${l.descriptor.digest} decompresses to ${redone.diffId}, not its diff ID ${l.diffId}`,
      );
    }
    out.push(redone);
  }
  return { layers: out, provider: eitherProvider(store, provider) };
}

/**
 * push's NetworkError (refused, reset, DNS) is not a LadingError, and the cache export wraps what its sink throws:
 * a network failure under either is a registry failure (exit 5), named so.
 */
function asRegistryFailure(caught: unknown, name: string): unknown {
  for (let e = caught; e instanceof Error; e = (e as Error).cause) {
    if (e.name === 'NetworkError') {
      return new RegistryError('CACHE_REGISTRY_UNREACHABLE', `exporting cache to ${name}: ${e.message}`, {
        cause: caught,
      });
    }
    if (isLadingError(e) && e.kind !== 'unexpected') return caught;
  }
  return caught;
}

/** Counts what a sink did with the layer blobs (pushed, already there, mounted). */
function countingSink(sink: BlobSink, counts: Record<string, number>): BlobSink {
  return {
    has: (d) => sink.has(d),
    async put(d: Descriptor, src, o) {
      const r = await sink.put(d, src, o);
      if (isLayerMediaType(d.mediaType)) counts[r] = (counts[r] ?? 0) + 1;
      return r;
    },
  };
}

async function openTarget(
  spec: CacheSpec,
  cwd: string,
  signal: AbortSignal | undefined,
): Promise<{ target: CacheExportTarget; close(): void }> {
  const { openLocalCacheTarget } = await import('@lading/remote-cache');
  if (spec.type === 'local') {
    const target = await openLocalCacheTarget(resolve(cwd, spec.attrs.dest as string), {
      tag: spec.attrs.tag ?? 'latest',
    });
    return { target, close() {} };
  }
  const { RegistryClient, RegistryTarget } = await import('@lading/push');
  const { parseNormalizedReference } = await import('@lading/reference-store/reference');
  const ref = parseNormalizedReference(spec.attrs.ref as string);
  const insecure = registryInsecure(spec);
  const client = new RegistryClient(ref.registry, insecure ? { insecure: true } : {});
  const sink = new RegistryTarget(client, ref.repository);
  const tag = ref.tag ?? 'latest';
  return {
    target: {
      sink,
      name: async (root, bytes) => {
        await sink.tag(root, tag, { bytes, ...(signal ? { signal } : {}) });
      },
    },
    close: () => client.close(),
  };
}

export interface LayerCacheExportOptions {
  /** One key per input layer (see layerCacheKeys); the image's last `keys.length` layers are those layers. */
  readonly keys: readonly Digest[];
  /** Opens where layers recompressed for `force-compression` are written (the lading store). */
  readonly openStore?: () => Promise<FullStore>;
  /** The results' creation time (default now; SOURCE_DATE_EPOCH keeps the cache reproducible). */
  readonly createdAt?: Date;
  readonly signal?: AbortSignal;
  readonly progress?: ExportProgress;
  readonly logger?: ExportLogger;
  readonly cwd?: string;
}

/**
 * Exports the image's layer chain as a BuildKit cache to each --cache-to target: an OCI layout
 * (`type=local,dest=DIR`) or a registry (`type=registry,ref=...`, through push's RegistryTarget), with BuildKit's
 * attributes. Returns each target's `cache.manifest` response. A failed export throws, or is a warning with
 * `ignore-error=true` (as BuildKit); `type=inline` specs are skipped here (see inlineLayerCache).
 */
export async function exportLayerCache(
  specs: readonly CacheSpec[],
  source: ExportSource,
  options: LayerCacheExportOptions,
): Promise<Record<string, string>[]> {
  const { exportCache, parseCacheExportOptions } = await import('@lading/remote-cache');
  const image = singleImage(source);
  const createdAt = options.createdAt ?? new Date();
  const signal = options.signal;
  const responses: Record<string, string>[] = [];
  for (const spec of specs) {
    if (spec.type === 'inline') continue;
    const opts = parseCacheExportOptions(spec.attrs);
    const name = spec.type === 'local' ? `local ${spec.attrs.dest}` : `registry ${spec.attrs.ref}`;
    const id = `cache-to ${spec.text}`;
    options.progress?.start(id, `exporting cache to ${name}`);
    const counts: Record<string, number> = {};
    let close = () => {};
    try {
      const chain = await forcedLayers(image, source.provider, opts, options.openStore, signal);
      const chains = await layerChains(chain.layers, chain.provider, options.keys, createdAt);
      const opened = await openTarget(spec, options.cwd ?? process.cwd(), signal);
      close = opened.close;
      const target = { ...opened.target, sink: countingSink(opened.target.sink, counts) };
      const result = await exportCache(chains, target, { ...opts, ...(signal ? { signal } : {}) });
      if (result.error) throw result.error;
      if (result.skipped)
        options.logger?.warn(`--cache-to ${spec.text}: no layer to cache; nothing exported`);
      options.logger?.debug(
        `cache to ${name}: ${counts.written ?? 0} layers written, ${counts.exists ?? 0} already there, ${counts.mounted ?? 0} mounted`,
      );
      options.progress?.done(id);
      responses.push(result.response);
    } catch (caught) {
      const error = asRegistryFailure(caught, name);
      options.progress?.done(id, opts.ignoreError ? undefined : error);
      if (!opts.ignoreError || signal?.aborted || isOptionError(error)) throw error;
      const line = String((error as Error)?.message ?? error).split('\n')[0];
      options.logger?.warn(`--cache-to ${spec.text}: ${line}; ignored (ignore-error=true)`);
    } finally {
      close();
    }
  }
  return responses;
}

/**
 * `--cache-to type=inline`: the inline cache of the image (BuildKit's `containerimage.inlinecache`: the min-mode
 * records over the image's own layers), undefined when there is nothing to cache.
 */
export async function inlineLayerCache(
  source: ExportSource,
  keys: readonly Digest[],
  options: { readonly createdAt?: Date } = {},
): Promise<Uint8Array | undefined> {
  const { encodeInlineCache } = await import('@lading/remote-cache');
  const image = singleImage(source);
  const chains = await layerChains(image.layers, source.provider, keys, options.createdAt ?? new Date());
  return encodeInlineCache(
    chains,
    image.layers.map((l) => l.descriptor),
  );
}
