import { type Digest, encodeRawMap, goString, InvalidInputError, splitObject } from '@lading/digest';
import { encodeHistoryList, encodeRootFS } from './encode.js';
import { parseJsonObject } from './parse.js';
import { formatTime, normalizeTime, timeValue } from './time.js';
import type { History } from './types.js';

export const inlineCacheKey = 'moby.buildkit.cache.v0';

export interface PatchOptions {
  /** Inline cache metadata, written base64 (a Go byte slice) under `moby.buildkit.cache.v0`. */
  readonly inlineCache?: Uint8Array;
  /**
   * SOURCE_DATE_EPOCH, as BuildKit's exporter applies it: history entries after the base image's that have no time
   * or a later one take the epoch, and a `created` later than the epoch is clamped to it.
   */
  readonly epoch?: Date;
  /** How many history entries, from the first, are the base image's (their times are never changed). */
  readonly baseHistoryLength?: number;
}

/** With an epoch, the history entries this build added are clamped to it (BuildKit's patchImageConfig). */
function clampHistory(
  history: readonly History[] | undefined,
  epoch: string,
  baseLength: number,
): History[] | undefined {
  const limit = timeValue(epoch);
  return history?.map((h, i) =>
    i < baseLength || (h.created !== undefined && timeValue(h.created) <= limit)
      ? h
      : { ...h, created: epoch },
  );
}

/** The raw `created` member clamped to the epoch; null (Go reads it as the zero time) stays. */
function clampCreated(raw: string, epoch: string): string {
  const value: unknown = JSON.parse(raw);
  if (value === null) return raw;
  if (typeof value !== 'string') {
    throw new InvalidInputError('CONFIG_INVALID', `failed to unmarshal creation time ${raw}`);
  }
  return timeValue(normalizeTime(value, 'created')) > timeValue(epoch) ? goString(epoch) : raw;
}

/**
 * Patches a config as moby's and BuildKit's exporters do (`patchImageConfig` in moby's
 * builder/builder-next/exporter and BuildKit's exporter/containerimage/writer.go), keeping every other member's
 * bytes: `rootfs` from the layers, `history`, `created` from the last history time when the config has none, and
 * the inline cache under `moby.buildkit.cache.v0`. The result has Go's sorted member order.
 */
export function patchImageConfig(
  config: Uint8Array | string,
  diffIds: readonly Digest[],
  history: readonly History[] | undefined,
  options: PatchOptions | Uint8Array = {},
): Uint8Array {
  const opts: PatchOptions = options instanceof Uint8Array ? { inlineCache: options } : options;
  // Validates (malformed JSON, null, non-object -> InvalidInputError) before the raw split.
  parseJsonObject(config, 'image config for patch');
  const text = typeof config === 'string' ? config : new TextDecoder().decode(config);
  const members = splitObject(text);
  const epoch = opts.epoch === undefined ? undefined : formatTime(opts.epoch);

  // Go reads each time and writes it back in its own form.
  let entries = history?.map((h, i) =>
    h.created === undefined ? h : { ...h, created: normalizeTime(h.created, `history[${i}].created`) },
  );
  if (epoch !== undefined) entries = clampHistory(entries, epoch, opts.baseHistoryLength ?? 0);

  members.set('rootfs', encodeRootFS({ type: 'layers', diff_ids: diffIds.length > 0 ? diffIds : null }));
  members.set('history', encodeHistoryList(entries));
  const created = members.get('created');
  if (created !== undefined && epoch !== undefined) members.set('created', clampCreated(created, epoch));
  if (!members.has('created')) {
    let last: string | undefined;
    for (const h of entries ?? []) if (h.created !== undefined) last = h.created;
    members.set('created', last === undefined ? 'null' : goString(last));
  }
  if (opts.inlineCache !== undefined) {
    members.set(inlineCacheKey, goString(Buffer.from(opts.inlineCache).toString('base64')));
  }
  return new TextEncoder().encode(encodeRawMap(members));
}
