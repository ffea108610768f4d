import { once } from 'node:events';
import { mkdtemp, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import { fsyncDir, type Provider } from '@lading/content-store';
import { type Descriptor, type Digest, InvalidInputError } from '@lading/digest';
import { type GraphDriver, randomCacheId, removeDeadStaging } from './graph-driver.js';
import { type DataRootPaths, layerDir } from './layout.js';
import { TarSplitter } from './tar-split.js';

/** moby refuses deeper chains (`layer/layer_store.go` maxLayerDepth: 127 in some drivers, less the two of a container). */
export const maxLayerDepth = 125;

/** A layer to register: its blob (any compression lading reads) and what it must unpack to. */
export interface DataRootLayer {
  readonly descriptor: Descriptor;
  readonly diffId: Digest;
  readonly uncompressedSize?: number;
}

export interface RegisteredLayer {
  readonly chainId: Digest;
  readonly diffId: Digest;
  readonly cacheId: string;
  /** It was in the layer store already (nothing was written for it). */
  readonly reused: boolean;
}

export interface LayerProgress {
  readonly index: number;
  readonly chainId: Digest;
  readonly state: 'reused' | 'writing' | 'written';
  /** Uncompressed bytes applied so far. */
  readonly bytes?: number;
  readonly total?: number;
}

export interface RegisterOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: LayerProgress) => void;
}

const txPrefix = 'write-set-lading-';

async function readCacheId(dir: string): Promise<string | undefined> {
  try {
    const id = (await readFile(join(dir, 'cache-id'), 'utf8')).trim();
    return id === '' ? undefined : id;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** A file written and fsynced (moby's AtomicWriteSet syncs each file of a transaction before the rename). */
async function writeSynced(path: string, data: string): Promise<void> {
  const fh = await open(path, 'wx', 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Removes the transactions of dead lading writers (`layerdb/tmp/write-set-lading-<pid>-*`). */
export function removeStaleTransactions(paths: DataRootPaths): Promise<void> {
  return removeDeadStaging(paths.layerdbTmp, txPrefix);
}

/**
 * Registers one layer as moby's `layerStore.Register` does: a driver directory under a new cache ID with the tar
 * applied, and a metadata transaction in `layerdb/tmp` (`diff`, `size`, `cache-id`, `parent`, `tar-split.json.gz`)
 * renamed to `layerdb/sha256/<chainID>` once everything is on disk. The blob is read once: decompressed, cut into
 * tar-split entries and unpacked in the same pass. A layer another writer committed first wins; ours is dropped.
 */
async function writeLayer(
  paths: DataRootPaths,
  driver: GraphDriver,
  layer: DataRootLayer,
  chainId: Digest,
  parent: RegisteredLayer | undefined,
  provider: Provider,
  report: (bytes: number) => void,
  options: RegisterOptions,
): Promise<RegisteredLayer> {
  const { applyLayer, decompressStream } = await import('@lading/layer');
  const cacheId = randomCacheId();
  const staged = await driver.stage(cacheId, parent?.cacheId);
  let tx: string | undefined;
  try {
    tx = await mkdtemp(join(paths.layerdbTmp, `${txPrefix}${process.pid}-`));
    const fh = await open(join(tx, 'tar-split.json.gz'), 'wx', 0o644);
    const gz = createGzip();
    // Written through the handle itself, so it can be fsynced and closed here (a stream would hold it open).
    const written = (async () => {
      for await (const chunk of gz) await fh.write(chunk as Buffer);
    })();
    written.catch(() => {});
    // Lines are handed to gzip in batches: one write per line would cost more than the line.
    let batch: string[] = [];
    let batchSize = 0;
    let full = false;
    const flush = () => {
      if (batch.length === 0) return;
      if (!gz.write(batch.join(''))) full = true;
      batch = [];
      batchSize = 0;
    };
    const splitter = new TarSplitter((line) => {
      batch.push(line);
      batchSize += line.length;
      if (batchSize >= 1 << 18) flush();
    });
    let bytes = 0;
    const { stream } = await decompressStream(
      provider.read(
        { digest: layer.descriptor.digest, size: layer.descriptor.size },
        options.signal ? { signal: options.signal } : {},
      ),
    );
    async function* tee(): AsyncGenerator<Uint8Array> {
      for await (const chunk of stream) {
        splitter.write(chunk);
        bytes += chunk.length;
        report(bytes);
        if (full) {
          full = false;
          await once(gz, 'drain');
        }
        yield chunk;
      }
      splitter.end();
      flush();
    }
    try {
      await applyLayer(
        staged.applyDir,
        { source: tee(), diffId: layer.diffId, uncompressed: true },
        { whiteouts: staged.whiteouts, ...(options.signal ? { signal: options.signal } : {}) },
      );
      gz.end();
      await written;
      await fh.sync();
    } finally {
      gz.destroy();
      await fh.close();
    }
    const size = await staged.size(splitter.size);
    await writeSynced(join(tx, 'diff'), layer.diffId);
    await writeSynced(join(tx, 'size'), String(size));
    await writeSynced(join(tx, 'cache-id'), cacheId);
    if (parent !== undefined) await writeSynced(join(tx, 'parent'), parent.chainId);
    await fsyncDir(tx);
    await staged.commit();
    const final = layerDir(paths, chainId);
    try {
      await rename(tx, final);
      tx = undefined;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw error;
      // Another writer registered the same chain meanwhile: keep theirs, as moby keeps the existing layer.
      await driver.remove(cacheId);
      const theirs = await readCacheId(final);
      if (theirs === undefined) throw error;
      return { chainId, diffId: layer.diffId, cacheId: theirs, reused: true };
    }
    await fsyncDir(join(paths.layerdb, 'sha256'));
    return { chainId, diffId: layer.diffId, cacheId, reused: false };
  } catch (error) {
    await staged.discard();
    throw error;
  } finally {
    if (tx !== undefined) await rm(tx, { recursive: true, force: true });
  }
}

/**
 * Puts a stack of layers (lowest first) into the data-root's layer store. A chain ID the store holds already is
 * reused as it is; the others are written in order, each on its parent.
 */
export async function registerLayers(
  paths: DataRootPaths,
  driver: GraphDriver,
  layers: readonly DataRootLayer[],
  chainIds: readonly Digest[],
  provider: Provider,
  options: RegisterOptions = {},
): Promise<RegisteredLayer[]> {
  if (layers.length > maxLayerDepth) {
    throw new InvalidInputError(
      'LAYER_DEPTH',
      `the image has ${layers.length} layers; dockerd stacks at most ${maxLayerDepth}`,
    );
  }
  const out: RegisteredLayer[] = [];
  for (const [index, layer] of layers.entries()) {
    options.signal?.throwIfAborted();
    const chainId = chainIds[index] as Digest;
    const existing = await readCacheId(layerDir(paths, chainId));
    if (existing !== undefined) {
      out.push({ chainId, diffId: layer.diffId, cacheId: existing, reused: true });
      options.onProgress?.({ index, chainId, state: 'reused' });
      continue;
    }
    const total = layer.uncompressedSize;
    const report = (bytes: number) =>
      options.onProgress?.({
        index,
        chainId,
        state: 'writing',
        bytes,
        ...(total !== undefined ? { total } : {}),
      });
    report(0);
    const registered = await writeLayer(paths, driver, layer, chainId, out.at(-1), provider, report, options);
    out.push(registered);
    options.onProgress?.({ index, chainId, state: registered.reused ? 'reused' : 'written' });
  }
  return out;
}
