import { type OciIndex, openLocalStore, type Provider, readBlob } from '@lading/content-store';
import {
  AnnotationRefName,
  type Descriptor,
  type Digest,
  InvalidInputError,
  MediaType,
  NotFoundError,
  parseDigest,
} from '@lading/digest';
import { CacheChains, type CacheRecord, type CacheResultLayers } from './cache-chains.js';
import { parseCacheConfig } from './parse-cache-config.js';
import { type CacheConfig, type CacheLayer, cacheConfigMediaType, inlineCacheConfigKey } from './spec.js';

/** A result found by cache key: its layer chain (base first) and when it was made. */
export interface FoundResult {
  readonly layers: readonly Descriptor[];
  readonly createdAt: string;
}

export interface ImportedCache {
  readonly config: CacheConfig;
  /** The chains rebuilt from the config: marshal them again to get the same config. */
  readonly chains: CacheChains;
  /** Where the layer blobs can be read (absent for an inline cache without a provider). */
  readonly provider?: Provider;
  /** Records by digest (cache key). */
  readonly records: ReadonlyMap<Digest, readonly CacheRecord[]>;
  /** The results recorded for a cache key, newest first: what lets an exporter skip rebuilding those layers. */
  findResult(cacheKey: Digest | string): FoundResult | undefined;
  findResults(cacheKey: Digest | string): readonly FoundResult[];
}

export interface ImportOptions {
  readonly signal?: AbortSignal;
}

/** Rebuilds chains from a config, taking layer descriptors from `blobs` (by digest) or the layer annotations. */
export function importCacheConfig(
  config: CacheConfig,
  blobs: ReadonlyMap<string, Descriptor>,
  provider?: Provider,
): ImportedCache {
  const describe = (l: CacheLayer): Descriptor => {
    const d = blobs.get(l.blob);
    if (d) return d;
    const a = l.annotations;
    if (a?.mediaType && a.size !== undefined) return { mediaType: a.mediaType, digest: l.blob, size: a.size };
    throw new InvalidInputError(
      'BAD_CACHE_CONFIG',
      `cache config names layer blob ${l.blob} but the cache root does not list it`,
    );
  };
  const chainOf = (index: number): CacheResultLayers => {
    const descriptors: Descriptor[] = [];
    for (let i = index; i !== -1; i = (config.layers[i] as CacheLayer).parent) {
      descriptors.unshift(describe(config.layers[i] as CacheLayer));
    }
    return provider ? { descriptors, provider } : { descriptors };
  };
  const chains = new CacheChains();
  const handles = config.records.map((r) => chains.add(r.digest));
  const records = new Map<Digest, CacheRecord[]>();
  const results = new Map<Digest, FoundResult[]>();
  config.records.forEach((r, i) => {
    const h = handles[i] as CacheRecord;
    records.set(r.digest, [...(records.get(r.digest) ?? []), h]);
    r.inputs.forEach((ins, input) => {
      for (const x of ins) chains.link(handles[x.link] as CacheRecord, h, { input, selector: x.selector });
    });
    for (const res of r.results) {
      const layers = chainOf(res.layer);
      chains.addResult(h, layers, { createdAt: res.createdAt });
      results.set(r.digest, [
        ...(results.get(r.digest) ?? []),
        { layers: layers.descriptors, createdAt: res.createdAt },
      ]);
    }
    for (const c of r.chains) {
      chains.addChainedResult(h, c.layers.map(chainOf), { createdAt: c.createdAt });
    }
  });
  const sortedResults = (key: Digest | string) =>
    [...(results.get(parseDigest(key)) ?? [])].sort(
      (a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt),
    );
  return {
    config,
    chains,
    ...(provider ? { provider } : {}),
    records,
    findResults: sortedResults,
    findResult: (key) => sortedResults(key)[0],
  };
}

/** Imports from a root descriptor (manifest list, OCI index or image manifest) read through any provider. */
export async function importCache(
  provider: Provider,
  root: Descriptor,
  options: ImportOptions = {},
): Promise<ImportedCache> {
  const read = (d: Descriptor) =>
    readBlob(
      provider,
      { digest: parseDigest(d.digest), size: d.size },
      options.signal ? { signal: options.signal } : {},
    );
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(await read(root)));
  } catch (cause) {
    if (cause instanceof SyntaxError) {
      throw new InvalidInputError('BAD_CACHE_ROOT', `cache root ${root.digest} is not JSON`, { cause });
    }
    throw cause;
  }
  const obj = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const mediaType = typeof obj.mediaType === 'string' ? obj.mediaType : root.mediaType;
  let configDesc: Descriptor | undefined;
  let layers: Descriptor[];
  const list = (v: unknown, what: string): Descriptor[] => {
    if (!Array.isArray(v))
      throw new InvalidInputError('BAD_CACHE_ROOT', `cache root ${root.digest} has no ${what} array`);
    return v.map((d) => {
      const x = d as Descriptor;
      if (
        typeof x !== 'object' ||
        x === null ||
        typeof x.mediaType !== 'string' ||
        typeof x.size !== 'number'
      ) {
        throw new InvalidInputError(
          'BAD_CACHE_ROOT',
          `cache root ${root.digest} has a malformed descriptor in ${what}`,
        );
      }
      return { ...x, digest: parseDigest(x.digest) };
    });
  };
  if (mediaType === MediaType.ociManifest || mediaType === MediaType.dockerManifest) {
    configDesc = list([obj.config], 'config')[0];
    layers = list(obj.layers, 'layers');
  } else if (mediaType === MediaType.ociIndex || mediaType === MediaType.dockerManifestList) {
    const all = list(obj.manifests, 'manifests');
    configDesc = all.find((d) => d.mediaType === cacheConfigMediaType);
    layers = all.filter((d) => d.mediaType !== cacheConfigMediaType);
  } else {
    throw new InvalidInputError(
      'BAD_CACHE_ROOT',
      `cache root ${root.digest} has media type ${mediaType}, not a manifest or index`,
    );
  }
  if (!configDesc || configDesc.mediaType !== cacheConfigMediaType) {
    throw new InvalidInputError(
      'BAD_CACHE_ROOT',
      `cache root ${root.digest} has no ${cacheConfigMediaType} config; it is not a BuildKit cache`,
    );
  }
  const config = parseCacheConfig(await read(configDesc));
  return importCacheConfig(config, new Map(layers.map((d) => [d.digest, d])), provider);
}

export interface LocalImportOptions extends ImportOptions {
  /** Tag in index.json (default `latest`). */
  readonly tag?: string;
  /** Root digest; wins over the tag. */
  readonly digest?: Digest | string;
}

/** `type=local,src=DIR[,tag=T|digest=D]`. */
export async function importLocalCache(
  dir: string,
  options: LocalImportOptions = {},
): Promise<ImportedCache> {
  const store = await openLocalStore(dir);
  const index: OciIndex = await store.readIndex();
  let root: Descriptor | undefined;
  if (options.digest !== undefined) {
    const digest = parseDigest(options.digest);
    root = index.manifests.find((m) => m.digest === digest);
    if (!root) {
      const info = await store.info(digest);
      root = { mediaType: MediaType.ociIndex, digest, size: info.size };
    }
  } else {
    const tag = options.tag ?? 'latest';
    root = index.manifests.find((m) => m.annotations?.[AnnotationRefName] === tag);
    if (!root)
      throw new NotFoundError('CACHE_TAG_NOT_FOUND', `no cache tagged "${tag}" in ${dir}/index.json`);
  }
  return importCache(store, root, options);
}

/**
 * Imports the inline cache of an image: `moby.buildkit.cache.v0` from the image config (base64 of the config JSON),
 * the layer descriptors from the image manifest. Undefined when the image carries no inline cache.
 */
export function importInlineCache(
  imageConfig: Uint8Array | Readonly<Record<string, unknown>>,
  imageLayers: readonly Descriptor[],
  provider?: Provider,
): ImportedCache | undefined {
  let cfg: unknown = imageConfig;
  if (imageConfig instanceof Uint8Array) {
    try {
      cfg = JSON.parse(new TextDecoder().decode(imageConfig));
    } catch (cause) {
      throw new InvalidInputError('BAD_IMAGE_CONFIG', 'image config is not JSON', { cause });
    }
  }
  const value = (cfg as Record<string, unknown> | null)?.[inlineCacheConfigKey];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) {
    throw new InvalidInputError(
      'BAD_CACHE_CONFIG',
      `image config ${inlineCacheConfigKey} is not a base64 string`,
    );
  }
  const config = parseCacheConfig(Buffer.from(value, 'base64'));
  return importCacheConfig(config, new Map(imageLayers.map((d) => [d.digest, d])), provider);
}
