import type { Provider } from '@lading/content-store';
import {
  type Descriptor,
  type Digest,
  goJson,
  InvalidInputError,
  parseDigest,
  parseJson,
} from '@lading/digest';
import { CacheChains, type CacheRecord } from './cache-chains.js';
import { recordJson } from './encode-cache-config.js';
import { type ImportedCache, importCacheConfig } from './imported-cache.js';
import { decodeCacheConfig } from './parse-cache-config.js';
import {
  annotationCreatedAt,
  annotationUncompressed,
  type CacheConfig,
  type CacheLayer,
  type CacheRecordSpec,
  type ChainedResult,
  inlineCacheConfigKey,
  zeroTime,
} from './spec.js';

/** BuildKit's layer description annotation, filled from the history on import. */
const annotationDescription = 'buildkit/description';

/** The blobs of a result's chain, base first. */
function chainBlobs(layers: readonly CacheLayer[], top: number): Digest[] {
  const out: Digest[] = [];
  for (let i = top; i !== -1; i = (layers[i] as CacheLayer).parent)
    out.unshift((layers[i] as CacheLayer).blob);
  return out;
}

/** The config with only the results whose every blob is in `available` (BuildKit's ParseConfig over them). */
function restrictToBlobs(
  config: CacheConfig,
  descriptorOf: (digest: Digest) => Descriptor,
  available: ReadonlySet<Digest>,
): CacheConfig {
  const chains = new CacheChains();
  const handles: CacheRecord[] = config.records.map((r) => chains.add(r.digest));
  config.records.forEach((r, i) => {
    const h = handles[i] as CacheRecord;
    r.inputs.forEach((ins, input) => {
      for (const x of ins) chains.link(handles[x.link] as CacheRecord, h, { input, selector: x.selector });
    });
    for (const res of r.results) {
      const blobs = chainBlobs(config.layers, res.layer);
      if (blobs.every((b) => available.has(b))) {
        chains.addResult(h, { descriptors: blobs.map(descriptorOf) }, { createdAt: res.createdAt });
      }
    }
    for (const c of r.chains) {
      const blobs = c.layers.map((n) => (config.layers[n] as CacheLayer).blob);
      if (blobs.every((b) => available.has(b))) {
        chains.addChainedResult(
          h,
          blobs.map((b) => ({ descriptors: [descriptorOf(b)] })),
          { createdAt: c.createdAt },
        );
      }
    }
  });
  return chains.marshal({ mode: 'max' }).config;
}

/**
 * `type=inline`: the bytes the image exporter puts (base64, as Go marshals a []byte) under `moby.buildkit.cache.v0`
 * in the image config, as BuildKit's cache/remotecache/inline/inline.go makes them: the min-mode records as a JSON
 * array, whose results point at the image's own layers (`layer` is the index of the image layer on top of the
 * result; a result whose chain is not a prefix of the image's layers is written as `chains`). Only results made of
 * the image's layers are kept; undefined when none is (BuildKit: "failed to match any cache with layers").
 */
export function encodeInlineCache(
  chains: CacheChains,
  imageLayers: readonly Pick<Descriptor, 'digest'>[],
): Uint8Array | undefined {
  const { config, blobs } = chains.marshal({ mode: 'min' });
  // The blobs that are image layer i: its digest, and (an uncompressed image layer) a blob whose diff ID it is.
  const layerBlobs: Digest[][] = imageLayers.map((l) => {
    const digest = parseDigest(l.digest);
    const out: Digest[] = blobs.has(digest) ? [digest] : [];
    for (const [d, b] of blobs) {
      if (b.descriptor.annotations?.[annotationUncompressed] === digest && !out.includes(d)) out.push(d);
    }
    return out;
  });
  const available = new Set(layerBlobs.flat());
  const descriptorOf = (d: Digest) => (blobs.get(d) as { descriptor: Descriptor }).descriptor;
  const cfg = restrictToBlobs(config, descriptorOf, available);
  if (cfg.layers.length === 0) return undefined;

  const blobIndex = new Map<Digest, number>();
  layerBlobs.forEach((ds, i) => {
    for (const d of ds) blobIndex.set(d, i);
  });
  const indexOf = (d: Digest): number => {
    const i = blobIndex.get(d);
    if (i === undefined)
      throw new InvalidInputError('INLINE_CACHE_BLOB', `blob ${d} is not a layer of the image`);
    return i;
  };
  const records: CacheRecordSpec[] = cfg.records.map((r) => {
    const results: { layer: number; createdAt: string }[] = [];
    const chained: ChainedResult[] = r.chains.map((c) => ({
      layers: c.layers.map((n) => indexOf((cfg.layers[n] as CacheLayer).blob)),
      createdAt: c.createdAt,
    }));
    for (const res of r.results) {
      const resultBlobs = chainBlobs(cfg.layers, res.layer);
      const inOrder =
        resultBlobs.length <= imageLayers.length &&
        resultBlobs.every((b, k) => (layerBlobs[k] as Digest[]).includes(b));
      if (inOrder) results.push({ layer: resultBlobs.length - 1, createdAt: res.createdAt });
      // BuildKit leaves the converted result's time unset (Go's zero time).
      else chained.push({ layers: resultBlobs.map(indexOf), createdAt: zeroTime });
    }
    return { digest: r.digest, results, chains: chained, inputs: r.inputs };
  });
  return new TextEncoder().encode(goJson(records.map(recordJson)));
}

interface HistoryEntry {
  readonly created?: unknown;
  readonly created_by?: unknown;
  readonly empty_layer?: unknown;
}

const bad = (what: string) =>
  new InvalidInputError('BAD_INLINE_CACHE', `image config ${inlineCacheConfigKey}: ${what}`);

/**
 * Imports the inline cache of an image as BuildKit's importer does (cache/remotecache/import.go,
 * importInlineCache): the records from `moby.buildkit.cache.v0` (base64 of a JSON array), the image's layers as the
 * cache's layers (each on the one below), their diff IDs from `rootfs.diff_ids` and their times from the history.
 * Undefined when the config has no inline cache.
 */
export function importInlineCache(
  imageConfig: Uint8Array | Readonly<Record<string, unknown>>,
  imageLayers: readonly Descriptor[],
  provider?: Provider,
): ImportedCache | undefined {
  let cfg: unknown = imageConfig;
  if (imageConfig instanceof Uint8Array) {
    cfg = parseJson(imageConfig, { code: 'BAD_IMAGE_CONFIG', what: 'image config' });
  }
  if (typeof cfg !== 'object' || cfg === null || Array.isArray(cfg)) {
    throw new InvalidInputError('BAD_IMAGE_CONFIG', 'image config is not a JSON object');
  }
  const c = cfg as Record<string, unknown>;
  const value = c[inlineCacheConfigKey];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) {
    throw bad('is not a base64 string');
  }
  const diffIds = (c.rootfs as { diff_ids?: unknown } | undefined)?.diff_ids;
  if (!Array.isArray(diffIds) || diffIds.length !== imageLayers.length) {
    throw bad(
      `the config lists ${Array.isArray(diffIds) ? diffIds.length : 'no'} diff IDs for ${imageLayers.length} layers`,
    );
  }
  const records = parseJson(Buffer.from(value, 'base64'), {
    code: 'BAD_INLINE_CACHE',
    what: `image config ${inlineCacheConfigKey}`,
  });
  if (!Array.isArray(records)) throw bad('is not a JSON array of cache records');
  // The times and commands of the layers: one history entry per non-empty layer, in order.
  const made = (Array.isArray(c.history) ? (c.history as HistoryEntry[]) : []).filter(
    (h) => typeof h === 'object' && h !== null && h.empty_layer !== true,
  );
  const described = imageLayers.map((l, i): Descriptor => {
    const h = made[i];
    const annotations: Record<string, string> = { ...l.annotations };
    if (typeof h?.created === 'string' && h.created !== '') annotations[annotationCreatedAt] = h.created;
    if (typeof h?.created_by === 'string' && h.created_by !== '')
      annotations[annotationDescription] = h.created_by;
    annotations[annotationUncompressed] = String(diffIds[i]);
    return { ...l, annotations };
  });
  const config = decodeCacheConfig({
    layers: imageLayers.map((l, i) => ({ blob: l.digest, parent: i - 1 })),
    records,
  });
  return {
    ...importCacheConfig(config, new Map(described.map((d) => [d.digest, d])), provider),
    form: 'inline',
  };
}
