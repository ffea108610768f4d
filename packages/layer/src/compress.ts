import { createRequire } from 'node:module';
import type { Compression } from '@lading/digest';
import { OptionError } from '@lading/digest';
import { mapBlocks } from './block-pipeline.js';
import { defaultWorkers, GzipPool } from './gzip-pool.js';
import type { OffThreadSha256 } from './hash-worker.js';
import { zstdCommand, zstdThroughCli } from './zstd-cli.js';

const require = createRequire(import.meta.url);

/** Blocks compressed independently: big enough that the ratio loss is small, small enough for flat memory. */
export const compressionBlockSize = 4 << 20;

/**
 * The gzip level used when none is given. umoci (pgzip at Go's default level) is the size reference: on the
 * 500 MiB bench tree Node's zlib at level 3 (with memLevel 9) gives a blob about 2% larger than umoci's, in about
 * 30% less CPU time than level 5 (see the package README for the figures).
 */
export const defaultGzipLevel = 3;
/** zlib's memLevel for every gzip level: 9 (a bigger hash table) costs ~0.2% in size and saves ~7% of CPU. */
export const gzipMemLevel = 9;
export const defaultZstdLevel = 3;

export interface CompressOptions {
  readonly compression: Compression;
  /** gzip 0-9, zstd 1-22. */
  readonly level?: number;
  /** Blocks compressed at once (default: the number of cores). Never changes the output bytes. */
  readonly workers?: number;
  readonly signal?: AbortSignal;
  /** A pool to reuse across layers; otherwise one is made and closed for this stream. */
  readonly gzipPool?: GzipPool;
  /**
   * zstd only: every input block is also given, in order, to this hash on its own thread (the diffID), at the same
   * time as it is compressed.
   */
  readonly hashInput?: OffThreadSha256;
}

interface ZstdBinding {
  compress(data: Buffer, level?: number): Promise<Buffer>;
}
let zstdBinding: ZstdBinding | undefined;

/** The native zstd binding, loaded on first use so gzip-only users never load it. */
export function loadZstd(): ZstdBinding {
  if (!zstdBinding) {
    try {
      zstdBinding = require('@mongodb-js/zstd') as ZstdBinding;
    } catch (cause) {
      throw new OptionError(
        'ZSTD_UNAVAILABLE',
        `zstd compression needs @mongodb-js/zstd's prebuilt binary for ${process.platform}-${process.arch}, which did not load; use gzip, or reinstall with optional dependencies`,
        { cause, key: 'compression' },
      );
    }
  }
  return zstdBinding;
}

export function checkLevel(compression: Compression, level: number | undefined): number | undefined {
  if (compression === 'uncompressed') return undefined;
  if (compression === 'gzip') {
    const l = level ?? defaultGzipLevel;
    if (!Number.isInteger(l) || l < 0 || l > 9) {
      throw new OptionError('BAD_LEVEL', `gzip level ${l} is out of range; give 0 to 9`, { key: 'level' });
    }
    return l;
  }
  const l = level ?? defaultZstdLevel;
  if (!Number.isInteger(l) || l < 1 || l > 22) {
    throw new OptionError('BAD_LEVEL', `zstd level ${l} is out of range; give 1 to 22`, { key: 'level' });
  }
  return l;
}

/**
 * Compresses a byte stream. gzip: 4 MiB blocks deflated on worker threads, each a gzip member, in order.
 * zstd: through the zstd CLI when there is one (`zstdCommand`: one multi-threaded frame, as `zstd -T2` writes
 * it), else 4 MiB blocks, each an independent zstd frame, compressed on the thread pool (the way chosen when a
 * `hashInput` is given). The bytes depend only on the input, the compression, the level and that choice, never
 * on `workers`.
 */
export async function* compressStream(
  source: AsyncIterable<Uint8Array>,
  options: CompressOptions,
): AsyncGenerator<Uint8Array> {
  const level = checkLevel(options.compression, options.level);
  const workers = Math.max(1, Math.floor(options.workers ?? defaultWorkers()));
  if (options.compression === 'uncompressed') {
    yield* source;
    return;
  }
  if (options.compression === 'zstd') {
    const command = options.hashInput ? undefined : zstdCommand();
    if (command !== undefined) {
      yield* zstdThroughCli(source, {
        command,
        level: level as number,
        workers,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      return;
    }
    const zstd = loadZstd();
    const hash = options.hashInput;
    // One more block than workers: more only adds the binding's output buffers to the garbage, not speed.
    yield* mapBlocks(
      source,
      compressionBlockSize,
      workers + 1,
      async (b) => {
        const [out] = await Promise.all([
          zstd.compress(Buffer.from(b.buffer, b.byteOffset, b.byteLength), level),
          hash?.update(b),
        ]);
        return { out, reuse: b };
      },
      options.signal,
      // The hash's thread reads the blocks where they are.
      hash ? (size) => Buffer.from(new SharedArrayBuffer(size)) : undefined,
    );
    return;
  }
  const pool = options.gzipPool ?? new GzipPool(workers);
  try {
    // Two more blocks than workers keep every worker busy while results are taken in order and the next block
    // is gathered.
    yield* mapBlocks(
      source,
      compressionBlockSize,
      pool.size + 2,
      (b) => pool.gzip(b, level as number, gzipMemLevel),
      options.signal,
    );
  } finally {
    if (!options.gzipPool) await pool.close();
  }
}
