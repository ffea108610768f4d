import { type Digest, InvalidInputError, parseDigest } from '@lading/digest';
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
  if (typeof v !== 'number' || !Number.isInteger(v)) throw fail(`${where} is not an integer`);
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
  let raw: unknown;
  try {
    raw = JSON.parse(
      typeof bytes === 'string' ? bytes : new TextDecoder('utf-8', { fatal: true }).decode(bytes),
    );
  } catch (cause) {
    throw new InvalidInputError('BAD_CACHE_CONFIG', 'cache config is not valid UTF-8 JSON', { cause });
  }
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
  layers.forEach((l, i) => {
    if (l.parent < -1 || l.parent >= layers.length)
      throw fail(`layers[${i}].parent ${l.parent} is out of range`);
    // Walk up: a parent loop would hang import.
    let p = l.parent;
    for (let steps = 0; p !== -1; steps++) {
      if (steps > layers.length) throw fail(`layers[${i}] has a parent loop`);
      p = (layers[p] as CacheLayer).parent;
    }
  });
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
  // A loop of links would send every walk of the graph round forever.
  const state = new Array<number>(records.length).fill(0);
  const visit = (i: number) => {
    if (state[i] === 2) return;
    if (state[i] === 1) throw fail(`records[${i}] is part of a loop of input links`);
    state[i] = 1;
    for (const ins of (records[i] as CacheRecordSpec).inputs) for (const x of ins) visit(x.link);
    state[i] = 2;
  };
  for (let i = 0; i < records.length; i++) visit(i);
  return { layers, records };
}
