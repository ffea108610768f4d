import { randomUUID } from 'node:crypto';
import type { Ingester, Writer } from '@lading/content-store';
import { Digester, layerMediaType } from '@lading/digest';
import { compressStream } from './compress.js';
import type { Layer, LayerWriteOptions } from './layer.js';

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
  const oci = options.oci ?? true;
  options.signal?.throwIfAborted();
  const diff = new Digester('sha256');
  const blob = new Digester('sha256');
  async function* hashed(): AsyncGenerator<Uint8Array> {
    for await (const chunk of tar) {
      diff.update(chunk);
      yield chunk;
    }
  }
  const writer: Writer = await store.writer({
    ref: options.ref ?? `lading-layer-${randomUUID()}`,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  try {
    let pending: Promise<void> = Promise.resolve();
    const compressed =
      compression === 'uncompressed'
        ? hashed()
        : compressStream(hashed(), {
            compression,
            ...(options.level !== undefined ? { level: options.level } : {}),
            ...(options.workers !== undefined ? { workers: options.workers } : {}),
            ...(options.signal ? { signal: options.signal } : {}),
          });
    for await (const chunk of compressed) {
      blob.update(chunk);
      await pending;
      pending = writer.write(chunk);
      options.onProgress?.({ uncompressedBytes: diff.size, compressedBytes: blob.size });
    }
    await pending;
    options.signal?.throwIfAborted();
    const digest = blob.digest();
    await writer.commit({ digest, size: blob.size });
    return {
      descriptor: {
        mediaType: layerMediaType(compression, { oci }),
        digest,
        size: blob.size,
        ...(options.annotations ? { annotations: options.annotations } : {}),
      },
      diffId: diff.digest(),
      uncompressedSize: diff.size,
    };
  } catch (error) {
    await writer.abort().catch(() => {});
    throw error;
  }
}
