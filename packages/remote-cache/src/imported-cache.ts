import type { Provider } from '@lading/content-store';
import { type Descriptor, type Digest, parseDigest } from '@lading/digest';
import { CacheChains, type CacheRecord, type CacheResultLayers } from './cache-chains.js';
import type { CacheConfig, CacheLayer } from './spec.js';

/** BuildKit's cache forms: an OCI image manifest, an OCI index, a Docker manifest list, or an image's inline cache. */
export type CacheForm = 'image-manifest' | 'oci-index' | 'manifest-list' | 'inline';

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
  /** The layer descriptors the root lists, by digest. */
  readonly blobs: ReadonlyMap<Digest, Descriptor>;
  /** Which of BuildKit's forms it was read from. */
  readonly form?: CacheForm;
  /** The results recorded for a cache key, newest first: what lets an exporter skip rebuilding those layers. */
  findResult(cacheKey: Digest | string): FoundResult | undefined;
  findResults(cacheKey: Digest | string): readonly FoundResult[];
}

/**
 * Rebuilds chains from a config, taking layer descriptors from `blobs` (by digest) or the layer annotations. A
 * result with a blob described nowhere is left out, as BuildKit's v1 ParseConfig leaves it out.
 */
export function importCacheConfig(
  config: CacheConfig,
  blobs: ReadonlyMap<string, Descriptor>,
  provider?: Provider,
): ImportedCache {
  const describe = (l: CacheLayer): Descriptor | undefined => {
    const d = blobs.get(l.blob);
    if (d) return d;
    const a = l.annotations;
    if (a?.mediaType && a.size !== undefined) return { mediaType: a.mediaType, digest: l.blob, size: a.size };
    return undefined;
  };
  const known = new Map<Digest, Descriptor>();
  const chainOf = (index: number): CacheResultLayers | undefined => {
    const descriptors: Descriptor[] = [];
    for (let i = index; i !== -1; i = (config.layers[i] as CacheLayer).parent) {
      const d = describe(config.layers[i] as CacheLayer);
      if (d === undefined) return undefined;
      descriptors.unshift(d);
    }
    for (const d of descriptors) known.set(d.digest, d);
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
      if (layers === undefined) continue;
      chains.addResult(h, layers, { createdAt: res.createdAt });
      results.set(r.digest, [
        ...(results.get(r.digest) ?? []),
        { layers: layers.descriptors, createdAt: res.createdAt },
      ]);
    }
    for (const c of r.chains) {
      const parts = c.layers.map(chainOf);
      if (parts.some((p) => p === undefined)) continue;
      chains.addChainedResult(h, parts as CacheResultLayers[], { createdAt: c.createdAt });
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
    blobs: known,
    findResults: sortedResults,
    findResult: (key) => sortedResults(key)[0],
  };
}

/**
 * One config from several (the inline caches of a multi-platform image): layers and records side by side, every
 * index moved by the length of the configs before it.
 */
export function concatCacheConfigs(configs: readonly CacheConfig[]): CacheConfig {
  const layers: CacheLayer[] = [];
  const records: CacheConfig['records'][number][] = [];
  for (const c of configs) {
    const lo = layers.length;
    const ro = records.length;
    for (const l of c.layers) layers.push({ ...l, parent: l.parent === -1 ? -1 : l.parent + lo });
    for (const r of c.records) {
      records.push({
        digest: r.digest,
        results: r.results.map((x) => ({ layer: x.layer + lo, createdAt: x.createdAt })),
        chains: r.chains.map((x) => ({ layers: x.layers.map((n) => n + lo), createdAt: x.createdAt })),
        inputs: r.inputs.map((ins) => ins.map((x) => ({ selector: x.selector, link: x.link + ro }))),
      });
    }
  }
  return { layers, records };
}
