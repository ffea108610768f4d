import type { Digest } from '@lading/digest';
import { historyObject } from './encode.js';
import { encodeRawMap, goStringify, splitObject } from './go-json.js';
import { parseJsonObject } from './parse.js';
import type { History } from './types.js';

export const inlineCacheKey = 'moby.buildkit.cache.v0';

/**
 * Patches a config as moby's exporter does, keeping every other member's bytes: `rootfs` from the layers,
 * `history`, `created` from the last history time when the config has none, and the inline cache under
 * `moby.buildkit.cache.v0` (base64, as Go writes a byte slice). The result has Go's sorted member order.
 */
export function patchImageConfig(
  config: Uint8Array | string,
  diffIds: readonly Digest[],
  history: readonly History[] | undefined,
  inlineCache?: Uint8Array,
): Uint8Array {
  // Validates (malformed JSON, null, non-object -> InvalidInputError) before the raw split.
  parseJsonObject(config, 'image config for patch');
  const text = typeof config === 'string' ? config : new TextDecoder().decode(config);
  const members = splitObject(text);

  members.set('rootfs', goStringify({ type: 'layers', diff_ids: diffIds.length > 0 ? diffIds : null }));
  members.set('history', history === undefined ? 'null' : goStringify(history.map(historyObject)));
  if (!members.has('created')) {
    let created: string | undefined;
    for (const h of history ?? []) if (h.created !== undefined) created = h.created;
    members.set('created', created === undefined ? 'null' : goStringify(created));
  }
  if (inlineCache !== undefined) {
    members.set(inlineCacheKey, goStringify(Buffer.from(inlineCache).toString('base64')));
  }
  return new TextEncoder().encode(encodeRawMap(members));
}
