import { lstatSync } from 'node:fs';
import type { Ingester, Provider } from '@lading/content-store';
import { checkLevel } from './compress.js';
import type { Layer, LayerWriteOptions, TarTap, TarTee } from './layer.js';
import { readCachedLayer, writeCachedLayer } from './layer-cache.js';
import {
  epochSeconds,
  normalizePrefix,
  type TarItem,
  type TarOptions,
  tarItemsFromEntries,
  tarStreamSize,
  writeTar,
} from './tar-from-tree.js';
import { type WalkOptions, walkTree } from './tree-entry.js';
import { treeMetadataKey } from './tree-key.js';
import { writeLayer } from './write-layer.js';

export interface BuildLayerOptions
  extends LayerWriteOptions,
    Omit<TarOptions, 'signal' | 'onEntry'>,
    WalkOptions {
  /**
   * Directory of the layer cache (e.g. `<store>/.lading/layer-cache`). When given, a tree whose metadata and
   * options are unchanged since an earlier build reuses that build's blob without reading any file, provided the
   * blob is still in the store (the store must then be able to answer `info`).
   */
  readonly cacheDir?: string;
  /**
   * Called when the tar is about to be made (never for a cache hit), with its exact length: the tee it returns sees
   * every tar chunk while the layer is written. The tree is then listed whole before the first byte.
   */
  readonly tap?: TarTap;
}

export interface BuiltLayer extends Layer {
  /** True when the layer came from the cache and no file content was read. */
  readonly fromCache: boolean;
  /**
   * When the blob was built (ISO 8601): now, or for a cache hit the first build's time, as BuildKit gives a cached
   * layer its record's creation time (so an unchanged rebuild keeps its history, config and image ID).
   */
  readonly createdAt: string;
}

/**
 * Makes a layer of a directory: a deterministic tar (see `readTreeEntries` and `tarItemsFromEntries`) compressed
 * and written to the store in one pass, or the cached blob of an identical earlier build.
 */
export async function buildLayer(
  dir: string,
  store: Ingester & Partial<Pick<Provider, 'info'>>,
  options: BuildLayerOptions = {},
): Promise<BuiltLayer> {
  options.signal?.throwIfAborted();
  const startedAt = new Date().toISOString();
  const compression = options.compression ?? 'gzip';
  const level = checkLevel(compression, options.level);
  const epoch = epochSeconds(options.epoch);
  const prefix = normalizePrefix(options.prefix);
  const walkOptions = {
    ...(options.include ? { include: options.include } : {}),
    ...(options.exclude ? { exclude: options.exclude } : {}),
  };
  const cache =
    options.cacheDir !== undefined && typeof store.info === 'function' ? options.cacheDir : undefined;
  let key: string | undefined;
  if (cache !== undefined) {
    const settings = {
      compression,
      level: level ?? null,
      oci: options.oci ?? true,
      epoch: epoch ?? null,
      uid: options.uid ?? null,
      gid: options.gid ?? null,
      uname: options.uname ?? null,
      gname: options.gname ?? null,
      prefix,
      include: options.include ?? [],
      exclude: options.exclude ?? [],
      // The prefix directories take the root's metadata.
      root: prefix ? readTreeRootStat(dir) : null,
      annotations: options.annotations ?? null,
    };
    key = treeMetadataKey(dir, walkOptions, settings);
    const hit = await readCachedLayer(cache, key, store as Pick<Provider, 'info'>);
    if (hit) return { ...hit, createdAt: hit.createdAt ?? startedAt, fromCache: true };
  }
  // The tree is listed while the layer is written, so compression starts at the first file.
  let items: Iterable<TarItem> = tarItemsFromEntries(walkTree(dir, walkOptions), dir, {
    ...options,
    ...(epoch !== undefined ? { epoch } : {}),
  });
  let tee: TarTee | undefined;
  if (options.tap !== undefined) {
    // A tap needs the length first (a tar entry or a Content-Length ahead of the bytes): list, then write.
    items = [...items];
    tee = await options.tap(tarStreamSize(items));
  }
  const layer = await writeLayer(
    writeTar(items, {
      // A teed chunk is the tee's to keep: no reuse of chunk memory then.
      ...(tee === undefined ? { reuseAfter: 3 } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    }),
    store,
    { ...options, ...(tee !== undefined ? { tee } : {}) },
  );
  if (cache !== undefined && key !== undefined) {
    await writeCachedLayer(cache, key, layer, { createdAt: startedAt });
  }
  return { ...layer, createdAt: startedAt, fromCache: false };
}

function readTreeRootStat(dir: string): string {
  const st = lstatSync(dir, { bigint: true });
  return `${st.mode}:${st.uid}:${st.gid}:${st.mtimeNs}:${st.ino}`;
}
