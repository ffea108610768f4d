import { goJson, sortedMap } from '@lading/digest';
import type { CacheConfig, CacheLayer, CacheRecordSpec } from './spec.js';

/** The cache config's exact bytes, as BuildKit's json.Marshal writes them (field order and omitempty rules). */
export function encodeCacheConfig(config: CacheConfig): Uint8Array {
  return new TextEncoder().encode(goJson(cacheConfigJson(config)));
}

/** The JSON value (keys in Go's field order), e.g. for embedding as the inline cache. */
export function cacheConfigJson(config: CacheConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (config.layers.length > 0) out.layers = config.layers.map(layerJson);
  if (config.records.length > 0) out.records = config.records.map(recordJson);
  return out;
}

function layerJson(l: CacheLayer): Record<string, unknown> {
  const out: Record<string, unknown> = { blob: l.blob };
  // Go's omitempty drops a parent index of 0: a missing parent reads back as 0, -1 means none.
  if (l.parent !== 0) out.parent = l.parent;
  if (l.annotations) {
    const a = l.annotations;
    const ann: Record<string, unknown> = {};
    if (a.mediaType) ann.mediaType = a.mediaType;
    if (a.diffID) ann.diffID = a.diffID;
    if (a.size) ann.size = a.size;
    ann.createdAt = a.createdAt;
    if (a.additional && Object.keys(a.additional).length > 0) ann.additional = sortedMap(a.additional);
    out.annotations = ann;
  }
  return out;
}

/** One record as Go marshals a CacheRecord (also the inline cache's array elements). */
export function recordJson(r: CacheRecordSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (r.results.length > 0) out.layers = r.results.map((x) => ({ layer: x.layer, createdAt: x.createdAt }));
  if (r.chains.length > 0)
    out.chains = r.chains.map((c) => ({ layers: [...c.layers], createdAt: c.createdAt }));
  out.digest = r.digest;
  if (r.inputs.length > 0) {
    out.inputs = r.inputs.map((ins) =>
      ins.length === 0
        ? null
        : ins.map((i) => (i.selector ? { selector: i.selector, link: i.link } : { link: i.link })),
    );
  }
  return out;
}
