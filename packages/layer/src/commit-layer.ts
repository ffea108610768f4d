import { randomUUID } from 'node:crypto';
import type { Ingester, Writer } from '@lading/content-store';
import { type Compression, type Digest, Digester, layerMediaType } from '@lading/digest';
import type { Layer, LayerWriteOptions } from './layer.js';

/** Where a layer's bytes go while it is written: the tar bytes to `diff`, the blob bytes to `write`. */
export interface LayerSink {
  /** Hashes the uncompressed tar for the diffID; the producer feeds it. */
  readonly diff: Digester;
  /** The diffID is hashed elsewhere (off the main thread): its size and digest come from `hash`, not `diff`. */
  hashDiffWith(hash: DiffHash): void;
  /**
   * Hashes, counts and stores blob bytes. Resolves once the previous write is done, so one store write overlaps
   * the production of the next chunk; a chunk must stay untouched until the write after it has been asked for.
   */
  write(chunk: Uint8Array): Promise<void>;
}

/** A diffID hashed somewhere else than the sink's `diff`. */
export interface DiffHash {
  readonly size: number;
  digest(): Promise<Digest>;
}

/**
 * Opens an ingest in the store, lets `fill` write the blob through a sink, then commits it under the computed
 * digest and returns the layer. On any failure the ingest is aborted (nothing half-written stays) and the error
 * goes on.
 */
export async function commitLayer(
  store: Ingester,
  compression: Compression,
  options: LayerWriteOptions,
  fill: (sink: LayerSink) => Promise<void>,
): Promise<Layer> {
  options.signal?.throwIfAborted();
  const diff = new Digester('sha256');
  const blob = new Digester('sha256');
  const writer: Writer = await store.writer({
    ref: options.ref ?? `lading-layer-${randomUUID()}`,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  let pending: Promise<void> = Promise.resolve();
  let elsewhere: DiffHash | undefined;
  const sink: LayerSink = {
    diff,
    hashDiffWith(hash) {
      elsewhere = hash;
    },
    async write(chunk) {
      blob.update(chunk);
      await pending;
      pending = writer.write(chunk);
      // A failed write is awaited (and thrown) at the next write or at the end, never left unhandled.
      pending.catch(() => {});
      options.onProgress?.({
        uncompressedBytes: (elsewhere ?? diff).size,
        compressedBytes: blob.size,
      });
    },
  };
  try {
    await fill(sink);
    await pending;
    options.signal?.throwIfAborted();
    const digest = blob.digest();
    const diffId = elsewhere ? await elsewhere.digest() : diff.digest();
    const uncompressedSize = (elsewhere ?? diff).size;
    await writer.commit({ digest, size: blob.size });
    return {
      descriptor: {
        mediaType: layerMediaType(compression, { oci: options.oci ?? true }),
        digest,
        size: blob.size,
        ...(options.annotations ? { annotations: options.annotations } : {}),
      },
      diffId,
      uncompressedSize,
    };
  } catch (error) {
    await pending.catch(() => {});
    await writer.abort().catch(() => {});
    throw error;
  }
}
