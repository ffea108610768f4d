import { type Digest, InvalidInputError } from '@lading/digest';
import { normalizeTime } from './time.js';
import type { History, LayerMeta } from './types.js';

export const exporterHistoryComment = 'buildkit.exporter.image.v0';
const defaultDescription = 'created by buildkit';

export interface NormalizedHistory {
  readonly diffIds: readonly Digest[];
  readonly history: History[] | undefined;
  readonly warnings: readonly string[];
}

interface RefMeta {
  readonly createdAt: string | undefined;
  readonly description: string;
}

/**
 * What moby's `getRefMetadata` gives: with no layer chain, `limit` blank entries; otherwise the last `limit` layers,
 * each with a description ("created by buildkit" when the layer has none) and its creation time.
 */
function refMetadata(layers: readonly LayerMeta[] | undefined, limit: number): RefMeta[] {
  if (layers === undefined)
    return Array.from({ length: limit }, () => ({ createdAt: undefined, description: '' }));
  const chain = limit < layers.length ? layers.slice(layers.length - limit) : layers;
  return chain.map((l, i) => ({
    // Go holds the layer's time as a time.Time: it is written back in Go's form.
    createdAt: l.createdAt === undefined ? undefined : normalizeTime(l.createdAt, `layer ${i} createdAt`),
    description: l.description !== undefined && l.description !== '' ? l.description : defaultDescription,
  }));
}

/**
 * Makes history agree with the layers, as moby's exporter does:
 * - more non-empty history entries than layers: the extra ones, from the bottom, are marked empty (with a warning);
 * - fewer: entries are appended from the layer metadata, with comment `buildkit.exporter.image.v0`;
 * - a non-empty entry without `created` takes its layer's creation time;
 * - entries still without `created` take the first new layer time, or the time of the entry before them.
 * `layerMeta` describes the layer chain (oldest first); leave it out when there is no layer chain.
 */
export function normalizeLayersAndHistory(
  diffIds: readonly Digest[],
  history: readonly History[] | undefined,
  layerMeta?: readonly LayerMeta[],
): NormalizedHistory {
  const warnings: string[] = [];
  const meta = refMetadata(layerMeta, diffIds.length);
  let entries: History[] | undefined = history === undefined ? undefined : history.map((h) => ({ ...h }));

  const historyLayers = (entries ?? []).filter((h) => !h.empty_layer).length;

  if (historyLayers > diffIds.length) {
    warnings.push('invalid image config with unaccounted layers');
    let l = 0;
    entries = (entries ?? []).map((h) => {
      const next = l >= diffIds.length ? { ...h, empty_layer: true } : h;
      if (!next.empty_layer) l++;
      return next;
    });
  }

  if (diffIds.length > historyLayers) {
    if (meta.length < diffIds.length) {
      throw new InvalidInputError(
        'LAYER_METADATA_MISSING',
        `layer metadata describes ${meta.length} layers but the image has ${diffIds.length}`,
      );
    }
    entries ??= [];
    for (const md of meta.slice(historyLayers)) {
      entries.push(
        withoutEmpty({ created: md.createdAt, created_by: md.description, comment: exporterHistoryComment }),
      );
    }
  }

  if (entries === undefined) return { diffIds, history: undefined, warnings };

  let layerIndex = 0;
  entries = entries.map((h) => {
    if (h.empty_layer) return h;
    const m = meta[layerIndex++];
    return h.created === undefined && m?.createdAt !== undefined ? { ...h, created: m.createdAt } : h;
  });

  // The first new layer's time; otherwise the last time there is. A first metadata-only entry must not take the
  // creation time of a base image layer.
  let created: string | undefined;
  let noCreatedTime = false;
  for (const h of entries) {
    if (h.created !== undefined) {
      created = h.created;
      if (noCreatedTime) break;
    } else {
      noCreatedTime = true;
    }
  }

  noCreatedTime = false;
  entries = entries.map((h) => {
    if (h.created !== undefined) {
      if (noCreatedTime) created = h.created;
      return h;
    }
    noCreatedTime = true;
    return created === undefined ? h : { ...h, created };
  });

  return { diffIds, history: entries, warnings };
}

function withoutEmpty(h: { created: string | undefined; created_by: string; comment: string }): History {
  const out: { -readonly [K in keyof History]: History[K] } = {};
  if (h.created !== undefined) out.created = h.created;
  if (h.created_by !== '') out.created_by = h.created_by;
  out.comment = h.comment;
  return out;
}
