import { type Digest, InvalidInputError, parseDigest, parseJson } from '@lading/digest';
import {
  type CacheConfig,
  type CacheInput,
  type CacheLayer,
  type CacheRecordSpec,
  type LayerAnnotations,
  zeroTime,
} from './spec.js';

const fail = (what: string, hint = 'the cache config is malformed; export the cache again') =>
  new InvalidInputError('BAD_CACHE_CONFIG', `cache config: ${what}; ${hint}`);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function arrayOf(v: unknown, where: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw fail(`${where} is not an array`);
  return v;
}

function int(v: unknown, where: string, dflt?: number): number {
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw fail(`${where} is not an integer`);
  return v;
}

function time(v: unknown, where: string): string {
  if (v === undefined) return zeroTime;
  if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) throw fail(`${where} is not an RFC 3339 time`);
  return v;
}

function digest(v: unknown, where: string): Digest {
  if (typeof v !== 'string') throw fail(`${where} is missing or not a string`);
  try {
    return parseDigest(v);
  } catch (cause) {
    throw new InvalidInputError('BAD_CACHE_CONFIG', `cache config: ${where} "${v}" is not a digest`, {
      cause,
    });
  }
}

/** Parses and validates cache config bytes (every index in range, layer parents acyclic). */
export function parseCacheConfig(bytes: Uint8Array | string): CacheConfig {
  const raw = parseJson(bytes, { what: 'cache config', code: 'BAD_CACHE_CONFIG' });
  return decodeCacheConfig(raw);
}

/** Validates an already parsed cache config value (e.g. the inline cache in an image config). */
export function decodeCacheConfig(raw: unknown): CacheConfig {
  if (!isObject(raw)) throw fail('top level is not an object');
  const layers: CacheLayer[] = arrayOf(raw.layers, 'layers').map((l, i) => {
    if (!isObject(l)) throw fail(`layers[${i}] is not an object`);
    const layer: { blob: Digest; parent: number; annotations?: LayerAnnotations } = {
      blob: digest(l.blob, `layers[${i}].blob`),
      parent: int(l.parent, `layers[${i}].parent`, 0),
    };
    if (l.annotations !== undefined && l.annotations !== null) {
      const a = l.annotations;
      if (!isObject(a)) throw fail(`layers[${i}].annotations is not an object`);
      const ann: {
        mediaType?: string;
        diffID?: Digest;
        size?: number;
        createdAt: string;
        additional?: Record<string, string>;
      } = { createdAt: time(a.createdAt, `layers[${i}].annotations.createdAt`) };
      if (a.mediaType !== undefined) {
        if (typeof a.mediaType !== 'string') throw fail(`layers[${i}].annotations.mediaType is not a string`);
        ann.mediaType = a.mediaType;
      }
      if (a.diffID !== undefined) ann.diffID = digest(a.diffID, `layers[${i}].annotations.diffID`);
      if (a.size !== undefined) ann.size = int(a.size, `layers[${i}].annotations.size`);
      if (a.additional !== undefined && a.additional !== null) {
        if (!isObject(a.additional) || Object.values(a.additional).some((x) => typeof x !== 'string')) {
          throw fail(`layers[${i}].annotations.additional is not a string map`);
        }
        ann.additional = a.additional as Record<string, string>;
      }
      layer.annotations = ann;
    }
    return layer;
  });
  // Every parent chain must end at -1. Walked once per layer at most (a chain already known to end is not walked
  // again): a long chain would otherwise cost its length squared, and a loop would hang import.
  const ends = new Array<boolean>(layers.length).fill(false);
  for (let i = 0; i < layers.length; i++) {
    const path: number[] = [];
    const onPath = new Set<number>();
    for (let p = i; p !== -1 && !ends[p]; p = (layers[p] as CacheLayer).parent) {
      if (onPath.has(p)) throw fail(`layers[${p}] has a parent loop`);
      const parent = (layers[p] as CacheLayer).parent;
      if (parent < -1 || parent >= layers.length) throw fail(`layers[${p}].parent ${parent} is out of range`);
      onPath.add(p);
      path.push(p);
    }
    for (const p of path) ends[p] = true;
  }
  const layerIndex = (v: unknown, where: string) => {
    const n = int(v, where);
    if (n < 0 || n >= layers.length) throw fail(`${where} ${n} is out of range (${layers.length} layers)`);
    return n;
  };
  const rawRecords = arrayOf(raw.records, 'records');
  const records: CacheRecordSpec[] = rawRecords.map((r, i) => {
    if (!isObject(r)) throw fail(`records[${i}] is not an object`);
    return {
      digest: digest(r.digest, `records[${i}].digest`),
      results: arrayOf(r.layers, `records[${i}].layers`).map((x, j) => {
        if (!isObject(x)) throw fail(`records[${i}].layers[${j}] is not an object`);
        return {
          layer: layerIndex(x.layer, `records[${i}].layers[${j}].layer`),
          createdAt: time(x.createdAt, `records[${i}].layers[${j}].createdAt`),
        };
      }),
      chains: arrayOf(r.chains, `records[${i}].chains`).map((x, j) => {
        if (!isObject(x)) throw fail(`records[${i}].chains[${j}] is not an object`);
        return {
          layers: arrayOf(x.layers, `records[${i}].chains[${j}].layers`).map((n, k) =>
            layerIndex(n, `records[${i}].chains[${j}].layers[${k}]`),
          ),
          createdAt: time(x.createdAt, `records[${i}].chains[${j}].createdAt`),
        };
      }),
      inputs: arrayOf(r.inputs, `records[${i}].inputs`).map((ins, j) =>
        arrayOf(ins, `records[${i}].inputs[${j}]`).map((x, k): CacheInput => {
          const where = `records[${i}].inputs[${j}][${k}]`;
          if (!isObject(x)) throw fail(`${where} is not an object`);
          if (x.selector !== undefined && typeof x.selector !== 'string')
            throw fail(`${where}.selector is not a string`);
          const link = int(x.link, `${where}.link`);
          if (link < 0 || link >= rawRecords.length) throw fail(`${where}.link ${link} is out of range`);
          if (link === i) throw fail(`${where}.link points at its own record`);
          return { selector: (x.selector as string | undefined) ?? '', link };
        }),
      ),
    };
  });
  // A loop of links would send every walk of the graph round forever. Depth first without recursion: a chain of
  // many thousand records must not overflow the stack.
  const state = new Array<number>(records.length).fill(0);
  const linksOf = (i: number) => (records[i] as CacheRecordSpec).inputs.flat().map((x) => x.link);
  for (let start = 0; start < records.length; start++) {
    if (state[start] !== 0) continue;
    const stack = [{ record: start, links: linksOf(start), next: 0 }];
    state[start] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as (typeof stack)[number];
      if (top.next >= top.links.length) {
        state[top.record] = 2;
        stack.pop();
        continue;
      }
      const link = top.links[top.next++] as number;
      if (state[link] === 1) throw fail(`records[${link}] is part of a loop of input links`);
      if (state[link] === 0) {
        state[link] = 1;
        stack.push({ record: link, links: linksOf(link), next: 0 });
      }
    }
  }
  return { layers, records };
}
