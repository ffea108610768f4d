import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Digest, digestOf } from '@lading/digest';
import type { LayerInput } from './build-source.js';

export { exportLayerCache, inlineLayerCache } from './cache-export.js';
export type { LayerCacheSource } from './cache-import.js';
export { importLayerCaches, reuseCachedLayer } from './cache-import.js';
export type { CacheSpec } from './cache-spec.js';

/** What changes a layer's content besides its input (compression does not: it is a variant of the same layer). */
export interface LayerKeySettings {
  readonly epoch?: Date;
}

// One buffer for every file: a read stream per file allocates its own (a 7,000-file tree took 38 s to hash
// with streams, 1.6 s with this).
const chunk = Buffer.allocUnsafe(1 << 20);

/** Lets signals, timers and progress run between synchronous reads (at most every ~50 ms). */
function yielder(signal?: AbortSignal): () => Promise<void> {
  let last = performance.now();
  return async () => {
    if (performance.now() - last < 50) return;
    await new Promise((r) => setImmediate(r));
    signal?.throwIfAborted();
    last = performance.now();
  };
}

async function fileSha256(path: string, pause: () => Promise<void>): Promise<string> {
  const h = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      h.update(chunk.subarray(0, n));
      await pause();
    }
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

/**
 * The content key of a tree, as BuildKit checksums a build context: every entry's path, type and permission bits,
 * owner, size, link target and (for files) content digest; not inode, ctime or mtime, so that the same tree checked
 * out elsewhere (another CI runner) finds the same cache record.
 */
async function treeContentKey(dir: string, pause: () => Promise<void>): Promise<string> {
  const { readTreeEntries } = await import('@lading/layer');
  const h = createHash('sha256');
  h.update('lading.tree.v1\n');
  for (const e of readTreeEntries(resolve(dir))) {
    const content = e.type === 'file' ? await fileSha256(e.abs, pause) : '';
    await pause();
    h.update(
      `${e.path}\0${e.type}\0${e.mode}\0${e.uid}\0${e.gid}\0${e.size}\0${e.rdev}\0${e.linkTarget ?? ''}\0${content}\n`,
    );
  }
  return h.digest('hex');
}

async function inputKey(input: LayerInput, pause: () => Promise<void>): Promise<string> {
  if (input.kind === 'dir') return `dir ${await treeContentKey(input.path, pause)}`;
  if (input.kind === 'tarball') return `tarball ${await fileSha256(resolve(input.path), pause)}`;
  return `diff ${await treeContentKey(input.lower, pause)} ${await treeContentKey(input.upper, pause)}`;
}

/**
 * The cache key of each input layer: a chain over the base image (its manifest digest), the epoch (it changes the
 * tar) and the content keys of the inputs up to that one, as BuildKit chains an operation's key over its inputs'
 * keys. Computed without building any tar, so a hit skips the build entirely. Compression and media types are not
 * in the key: as in BuildKit, a record's results are the layer in one compression or another, and an import takes
 * the one in the compression asked for.
 */
export async function layerCacheKeys(
  inputs: readonly LayerInput[],
  settings: LayerKeySettings,
  base?: Digest,
  options: { readonly signal?: AbortSignal } = {},
): Promise<Digest[]> {
  const pause = yielder(options.signal);
  const keys: Digest[] = [];
  const epoch = settings.epoch ? Math.floor(settings.epoch.getTime() / 1000) : null;
  let prev = `lading.layer.v2 ${JSON.stringify({ epoch })} ${base ?? ''}`;
  for (const input of inputs) {
    const k = digestOf(new TextEncoder().encode(`${prev}\n${await inputKey(input, pause)}`));
    keys.push(k);
    prev = k;
  }
  return keys;
}
