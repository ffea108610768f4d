import type { Provider } from '@lading/content-store';
import type { Descriptor, Digest } from '@lading/digest';
import { compareUtf8, formatGoTime, InvalidInputError, OptionError, parseDigest } from '@lading/digest';
import { convertLayerMediaType } from './layer-media-types.js';
import {
  annotationCreatedAt,
  annotationUncompressed,
  type CacheConfig,
  type CacheLayer,
  type CacheRecordSpec,
  type ChainedResult,
  emptyGzipLayer,
  type LayerAnnotations,
  zeroTime,
} from './spec.js';

/** A record handle: one cache key (an operation's digest) in a graph of chains. */
export interface CacheRecord {
  readonly digest: Digest;
}

/** A result: the layer blobs of a snapshot, base first, and where to read them. */
export interface CacheResultLayers {
  readonly descriptors: readonly Descriptor[];
  /** Where export reads the blobs; absent for a chain that was imported and only describes them. */
  readonly provider?: Provider;
}

export interface LinkOptions {
  /** Which input of `to` the record `from` feeds (0-based). */
  readonly input: number;
  readonly selector?: string;
}

export interface AddResultOptions {
  /** When the result was made; Go's zero time when absent. */
  readonly createdAt?: Date | string;
}

export type CacheMode = 'min' | 'max';

export interface MarshalOptions {
  /** `max` keeps every record and result; `min` (default) keeps what the final results need. */
  readonly mode?: CacheMode;
}

/** A layer blob the config refers to, with the provider to copy it from. */
export interface MarshalledBlob {
  readonly descriptor: Descriptor;
  readonly provider?: Provider;
}

export interface MarshalledCache {
  readonly config: CacheConfig;
  /** Blob digest -> descriptor and provider, for every layer in `config.layers`. */
  readonly blobs: ReadonlyMap<Digest, MarshalledBlob>;
}

interface Item {
  readonly digest: Digest;
  readonly links: Map<string, { src: Item; selector: string }>[];
  results: { layers: CacheResultLayers; createdAt: string }[];
  chains: { chains: readonly CacheResultLayers[]; createdAt: string }[];
  final: boolean;
  dependents: number;
}

/**
 * The cache graph BuildKit's exporter targets (solver.CacheExporterTarget): records keyed by digest, linked to the
 * records feeding their inputs, some with a result (a chain of layer blobs).
 */
export class CacheChains {
  readonly #items: Item[] = [];

  /** Adds a record; call once per cache key. */
  add(digest: Digest | string): CacheRecord {
    const item: Item = {
      digest: parseDigest(digest),
      links: [],
      results: [],
      chains: [],
      final: false,
      dependents: 0,
    };
    this.#items.push(item);
    return item;
  }

  /** Says `from` feeds input `input` of `to`, through `selector` (a path or content selector, often empty). */
  link(from: CacheRecord, to: CacheRecord, options: LinkOptions): void {
    const src = this.#item(from);
    const dst = this.#item(to);
    if (!Number.isInteger(options.input) || options.input < 0) {
      throw new OptionError('BAD_INPUT_INDEX', `input index ${options.input} is not a non-negative integer`);
    }
    while (dst.links.length <= options.input) dst.links.push(new Map());
    const selector = options.selector ?? '';
    const bucket = dst.links[options.input] as Map<string, { src: Item; selector: string }>;
    const key = `${this.#items.indexOf(src)}\0${selector}`;
    if (!bucket.has(key)) {
      bucket.set(key, { src, selector });
      src.dependents++;
    }
  }

  /** Adds a result to a record: its layer chain (base first). */
  addResult(record: CacheRecord, layers: CacheResultLayers, options: AddResultOptions = {}): void {
    const item = this.#item(record);
    const at = options.createdAt;
    item.results.push({
      layers,
      createdAt: at === undefined ? zeroTime : typeof at === 'string' ? at : formatGoTime(at),
    });
  }

  /** Adds a result made of several independent layer chains (BuildKit's `chains`, e.g. merged snapshots). */
  addChainedResult(
    record: CacheRecord,
    chains: readonly CacheResultLayers[],
    options: AddResultOptions = {},
  ): void {
    const at = options.createdAt;
    this.#item(record).chains.push({
      chains,
      createdAt: at === undefined ? zeroTime : typeof at === 'string' ? at : formatGoTime(at),
    });
  }

  /** Marks the record of a final result (what `min` mode keeps). Without marks, records nothing depends on are final. */
  markFinal(record: CacheRecord): void {
    this.#item(record).final = true;
  }

  get size(): number {
    return this.#items.length;
  }

  /** The normalised, deterministically ordered cache config, and the blobs it names. */
  marshal(options: MarshalOptions = {}): MarshalledCache {
    const mode = options.mode ?? 'min';
    if (mode !== 'min' && mode !== 'max') {
      throw new OptionError('BAD_CACHE_MODE', `cache mode "${String(mode)}" is not min or max`);
    }
    const items = this.#selected(mode);
    const state: MarshalState = {
      layers: [],
      chainsById: new Map(),
      blobs: new Map(),
      records: [],
      byItem: new Map(),
      byKey: new Map(),
      keys: new Map(),
      visiting: new Set(),
    };
    for (const it of items.list) marshalItem(it, state, items);
    return { config: sortConfig({ layers: state.layers, records: state.records }), blobs: state.blobs };
  }

  #item(record: CacheRecord): Item {
    const item = record as Item;
    if (!this.#items.includes(item)) {
      throw new InvalidInputError('UNKNOWN_RECORD', `record ${record.digest} was not added to these chains`);
    }
    return item;
  }

  /**
   * Records to export: all in max mode; in min mode the final ones and what feeds them. Both keep every result of
   * a kept record: BuildKit's min mode (solver/exporter.go, CacheExportModeRemoteOnly below the final result)
   * drops only results it would have to make blobs for, and a result given here names blobs that exist.
   */
  #selected(mode: CacheMode): { list: Item[]; include: Set<Item>; keepResult: (it: Item) => boolean } {
    if (mode === 'max') return { list: this.#items, include: new Set(this.#items), keepResult: () => true };
    const anyMarked = this.#items.some((i) => i.final);
    const finals = this.#items.filter((i) => (anyMarked ? i.final : i.dependents === 0));
    const keep = new Set<Item>();
    const visit = (it: Item) => {
      if (keep.has(it)) return;
      keep.add(it);
      for (const m of it.links) for (const l of m.values()) visit(l.src);
    };
    for (const f of finals) visit(f);
    return { list: this.#items.filter((i) => keep.has(i)), include: keep, keepResult: () => true };
  }
}

interface MarshalState {
  layers: MutableLayer[];
  chainsById: Map<string, number>;
  blobs: Map<Digest, MarshalledBlob>;
  records: MutableRecord[];
  byItem: Map<Item, number>;
  /** Normalisation: records with the same digest and the same inputs are one record. */
  byKey: Map<string, number>;
  keys: Map<Item, string>;
  visiting: Set<Item>;
}

interface MutableLayer {
  blob: Digest;
  parent: number;
  annotations?: LayerAnnotations;
}

interface MutableRecord {
  digest: Digest;
  results: { layer: number; createdAt: string }[];
  chains: ChainedResult[];
  inputs: { selector: string; link: number }[][];
}

function marshalRemote(layers: CacheResultLayers, n: number, state: MarshalState): string {
  if (n === 0) return '';
  const parentId = n > 1 ? marshalRemote(layers, n - 1, state) : '';
  const desc = layers.descriptors[n - 1] as Descriptor;
  const digest = parseDigest(desc.digest);
  if (digest === emptyGzipLayer) return parentId;
  if (!state.blobs.has(digest)) {
    state.blobs.set(
      digest,
      layers.provider ? { descriptor: desc, provider: layers.provider } : { descriptor: desc },
    );
  }
  const id = digest + parentId;
  if (state.chainsById.has(id)) return id;
  state.chainsById.set(id, state.layers.length);
  const layer: MutableLayer = {
    blob: digest,
    parent: parentId === '' ? -1 : (state.chainsById.get(parentId) as number),
  };
  const ann = layerAnnotations(desc);
  if (ann) layer.annotations = ann;
  state.layers.push(layer);
  return id;
}

/** The config-side annotations BuildKit fills from a layer descriptor (needs the uncompressed digest). */
function layerAnnotations(desc: Descriptor): LayerAnnotations | undefined {
  const diffId = desc.annotations?.[annotationUncompressed];
  if (diffId === undefined) return undefined;
  return {
    // BuildKit's marshalRemote records layers with OCI types (cache/remotecache/v1/utils.go).
    mediaType: convertLayerMediaType(desc.mediaType, { oci: true }),
    diffID: parseDigest(diffId),
    size: desc.size,
    createdAt: desc.annotations?.[annotationCreatedAt] ?? zeroTime,
  };
}

function recordKey(it: Item, state: MarshalState, include: Set<Item>): string {
  const known = state.keys.get(it);
  if (known !== undefined) return known;
  if (state.visiting.has(it)) {
    throw new InvalidInputError(
      'CACHE_LOOP',
      `record ${it.digest} is linked into a loop; cache links must form a DAG`,
    );
  }
  state.visiting.add(it);
  // A set per input: two sources that normalise to one record count once.
  const parts = it.links.map((m) =>
    [
      ...new Set(
        [...m.values()]
          .filter((l) => include.has(l.src))
          .map((l) => `${l.selector}\u0001${recordKey(l.src, state, include)}`),
      ),
    ]
      .sort()
      .join('\u0002'),
  );
  const key = `${it.digest}(${parts.join('|')})`;
  state.visiting.delete(it);
  state.keys.set(it, key);
  return key;
}

function marshalItem(
  it: Item,
  state: MarshalState,
  sel: { list: Item[]; include: Set<Item>; keepResult: (it: Item) => boolean },
): number {
  const done = state.byItem.get(it);
  if (done !== undefined) return done;
  const include = sel.include;
  const key = recordKey(it, state, include);
  let index = state.byKey.get(key);
  if (index === undefined) {
    const inputs = it.links.map((m) => {
      const list: { selector: string; link: number }[] = [];
      for (const l of m.values()) {
        if (!include.has(l.src)) continue;
        const link = marshalItem(l.src, state, sel);
        // Two sources that normalise to one record are one input.
        if (!list.some((x) => x.link === link && x.selector === l.selector))
          list.push({ selector: l.selector, link });
      }
      return list;
    });
    if (inputs.some((i) => i.length === 0)) {
      // BuildKit refuses incomplete links too: a record with an input nothing feeds cannot be matched.
      throw new InvalidInputError(
        'INCOMPLETE_LINKS',
        `record ${it.digest} has an input with no linked record; link every input from 0 to ${it.links.length - 1}`,
      );
    }
    index = state.records.length;
    state.records.push({ digest: it.digest, results: [], chains: [], inputs });
    state.byKey.set(key, index);
  }
  state.byItem.set(it, index);
  const rec = state.records[index] as MutableRecord;
  for (const result of sel.keepResult(it) ? it.results : []) {
    const id = marshalRemote(result.layers, result.layers.descriptors.length, state);
    if (id !== '') {
      const layer = state.chainsById.get(id) as number;
      if (!rec.results.some((r) => r.layer === layer))
        rec.results.push({ layer, createdAt: result.createdAt });
    }
  }
  if (sel.keepResult(it)) {
    for (const c of it.chains) {
      const ids = c.chains
        .map((l) => marshalRemote(l, l.descriptors.length, state))
        .filter((id) => id !== '');
      const layers = ids.map((id) => state.chainsById.get(id) as number);
      const same = (x: ChainedResult) =>
        x.layers.length === layers.length && x.layers.every((v, k) => v === layers[k]);
      if (layers.length > 0 && !rec.chains.some(same)) rec.chains.push({ layers, createdAt: c.createdAt });
    }
  }
  return index;
}

/** BuildKit's sortConfig: layers by blob then parent, records by digest then inputs; indexes remapped. */
export function sortConfig(cc: {
  layers: readonly CacheLayer[];
  records: readonly CacheRecordSpec[];
}): CacheConfig {
  const layerOrder = cc.layers.map((l, i) => ({ l, i }));
  // BuildKit breaks a blob tie by the old parent index, which depends on Go map order; the parent chain's blobs
  // make the tie-break deterministic (and equal after a round trip).
  const chainKey = (i: number): string => {
    let key = '';
    for (let p = i; p !== -1; p = (cc.layers[p] as CacheLayer).parent)
      key += `${(cc.layers[p] as CacheLayer).blob},`;
    return key;
  };
  layerOrder.sort((a, b) => {
    if (a.l.blob !== b.l.blob) return compareUtf8(a.l.blob, b.l.blob);
    if (a.l.parent === -1 || b.l.parent === -1)
      return a.l.parent === b.l.parent ? 0 : a.l.parent === -1 ? -1 : 1;
    return compareUtf8(chainKey(a.l.parent), chainKey(b.l.parent));
  });
  const newLayer = new Array<number>(cc.layers.length);
  layerOrder.forEach((x, n) => {
    newLayer[x.i] = n;
  });
  const layers: CacheLayer[] = layerOrder.map(({ l }) => ({
    ...l,
    parent: l.parent === -1 ? -1 : (newLayer[l.parent] as number),
  }));

  const recOrder = cc.records.map((r, i) => ({ r, i }));
  const digestOf = (link: number) => (cc.records[link] as CacheRecordSpec).digest;
  // Full structural key: the last tie-break, where BuildKit's comparator says equal and Go's unstable sort decides.
  const keys = new Map<number, string>();
  const recKey = (i: number): string => {
    const known = keys.get(i);
    if (known !== undefined) return known;
    const r = cc.records[i] as CacheRecordSpec;
    const key = `${r.digest}(${r.inputs
      .map((ins) =>
        ins
          .map((x) => `${x.selector}\u0001${recKey(x.link)}`)
          .sort()
          .join('\u0002'),
      )
      .join('|')})`;
    keys.set(i, key);
    return key;
  };
  // BuildKit compares inputs in the order they were linked (Go map order); comparing them in a canonical order
  // (selector, linked digest, linked record) gives the same answer whenever BuildKit's is deterministic.
  const canonical = cc.records.map((r) => ({
    digest: r.digest,
    inputs: r.inputs.map((ins) =>
      [...ins].sort(
        (a, b) =>
          compareUtf8(a.selector, b.selector) ||
          compareUtf8(digestOf(a.link), digestOf(b.link)) ||
          compareUtf8(recKey(a.link), recKey(b.link)),
      ),
    ),
  }));
  recOrder.sort((x, y) => {
    const ri = canonical[x.i] as Pick<CacheRecordSpec, 'digest' | 'inputs'>;
    const rj = canonical[y.i] as Pick<CacheRecordSpec, 'digest' | 'inputs'>;
    if (ri.digest !== rj.digest) return compareUtf8(ri.digest, rj.digest);
    if (ri.inputs.length !== rj.inputs.length) return ri.inputs.length - rj.inputs.length;
    for (let i = 0; i < ri.inputs.length; i++) {
      const a = ri.inputs[i] as readonly { selector: string; link: number }[];
      const b = rj.inputs[i] as readonly { selector: string; link: number }[];
      if (a.length !== b.length) return a.length - b.length;
      for (let j = 0; j < a.length; j++) {
        const ia = a[j] as { selector: string; link: number };
        const ib = b[j] as { selector: string; link: number };
        if (ia.selector !== ib.selector) return compareUtf8(ia.selector, ib.selector);
        const da = digestOf(ia.link);
        const db = digestOf(ib.link);
        if (da !== db) return compareUtf8(da, db);
      }
    }
    return compareUtf8(recKey(x.i), recKey(y.i));
  });
  const newRec = new Array<number>(cc.records.length);
  recOrder.forEach((x, n) => {
    newRec[x.i] = n;
  });
  const records: CacheRecordSpec[] = recOrder.map(({ r }) => ({
    digest: r.digest,
    results: r.results.map((res) => ({ layer: newLayer[res.layer] as number, createdAt: res.createdAt })),
    chains: r.chains.map((c) => ({
      layers: c.layers.map((l) => newLayer[l] as number),
      createdAt: c.createdAt,
    })),
    inputs: r.inputs.map((ins) =>
      ins
        .map((inp) => ({ selector: inp.selector, link: newRec[inp.link] as number }))
        .sort((a, b) => a.link - b.link || compareUtf8(a.selector, b.selector)),
    ),
  }));
  return { layers, records };
}
