import type { Ingester } from '@lading/content-store';
import { commitLayer } from './commit-layer.js';
import { type CompressOptions, compressStream } from './compress.js';
import { OffThreadSha256 } from './hash-worker.js';
import type { Layer, LayerWriteOptions, TarTee } from './layer.js';

/**
 * Makes a layer from a tar byte stream in one pass: every chunk is hashed for the diffID, compressed, hashed and
 * counted for the descriptor and written to the store, which commits it under the computed digest. Nothing is
 * buffered beyond the compressor's blocks; one store write overlaps the next compression step.
 */
export async function writeLayer(
  tar: AsyncIterable<Uint8Array>,
  store: Ingester,
  options: LayerWriteOptions = {},
): Promise<Layer> {
  const compression = options.compression ?? 'gzip';
  const compress: CompressOptions = {
    compression,
    ...(options.level !== undefined ? { level: options.level } : {}),
    ...(options.workers !== undefined ? { workers: options.workers } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const source = options.tee !== undefined ? teed(tar, options.tee) : tar;
  return commitLayer(store, compression, options, async (sink) => {
    if (compression === 'zstd') {
      // The diffID is hashed on its own thread while zstd compresses on the pool: the main thread only reads the
      // tree and writes the blob, so both cores work (the tar's hash is a fifth of the CPU time).
      const hash = new OffThreadSha256();
      try {
        sink.hashDiffWith(hash);
        for await (const chunk of compressStream(source, { ...compress, hashInput: hash }))
          await sink.write(chunk);
        await hash.digest();
      } finally {
        await hash.close();
      }
      return;
    }
    if (sink.diffIsBlob) {
      for await (const chunk of source) await sink.write(chunk);
      return;
    }
    async function* hashed(): AsyncGenerator<Uint8Array> {
      for await (const chunk of source) {
        sink.diff.update(chunk);
        yield chunk;
      }
    }
    const compressed = compressStream(hashed(), compress);
    for await (const chunk of compressed) await sink.write(chunk);
  });
}

async function* teed(tar: AsyncIterable<Uint8Array>, tee: TarTee): AsyncGenerator<Uint8Array> {
  for await (const chunk of tar) {
    await tee(chunk);
    yield chunk;
  }
}
