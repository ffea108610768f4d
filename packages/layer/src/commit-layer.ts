import { randomUUID } from 'node:crypto';
import type { Ingester, Writer } from '@lading/content-store';
import { type Compression, type Digest, Digester, layerMediaType } from '@lading/digest';
import type { Layer, LayerWriteOptions } from './layer.js';

/** Where a layer's bytes go while it is written: the tar bytes to `diff`, the blob bytes to `write`. */
export interface LayerSink {
  /**
   * Hashes the uncompressed tar for the diffID; the producer feeds it, except for an uncompressed layer, whose
   * diffID is its blob digest (`diffIsBlob`): hashing the same bytes twice would only cost time.
   */
  readonly diff: Digester;
  readonly diffIsBlob: boolean;
  /** The diffID is hashed elsewhere (off the main thread): its size and digest come from `hash`, not `diff`. */
  hashDiffWith(hash: DiffHash): void;
  /**
   * Counts and stores blob bytes (the store's writer hashes them: its digest is the blob's). Resolves once the
   * previous write is done, so one store write overlaps the production of the next chunk; a chunk must stay
   * untouched until the write after it has been asked for.
   */
  write(chunk: Uint8Array): Promise<void>;
}

/** A diffID hashed somewhere else than the sink's `diff`. */
export interface DiffHash {
  readonly size: number;
  digest(): Promise<Digest>;
}

/**
 * Opens an ingest in the store, lets `fill` write the blob through a sink, then commits it under the digest the
 * store's writer computed (every `Writer` hashes what it is given) and returns the layer. On any failure the ingest
 * is aborted (nothing half-written stays) and the error goes on.
 */
export async function commitLayer(
  store: Ingester,
  compression: Compression,
  options: LayerWriteOptions,
  fill: (sink: LayerSink) => Promise<void>,
): Promise<Layer> {
  options.signal?.throwIfAborted();
  const diff = new Digester('sha256');
  const diffIsBlob = compression === 'uncompressed';
  let blobSize = 0;
  const writer: Writer = await store.writer({
    ref: options.ref ?? `lading-layer-${randomUUID()}`,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  let pending: Promise<void> = Promise.resolve();
  let elsewhere: DiffHash | undefined;
  const sink: LayerSink = {
    diff,
    diffIsBlob,
    hashDiffWith(hash) {
      elsewhere = hash;
    },
    async write(chunk) {
      blobSize += chunk.byteLength;
      await pending;
      pending = writer.write(chunk);
      // A failed write is awaited (and thrown) at the next write or at the end, never left unhandled.
      pending.catch(() => {});
      options.onProgress?.({
        uncompressedBytes: diffIsBlob ? blobSize : (elsewhere ?? diff).size,
        compressedBytes: blobSize,
      });
    },
  };
  try {
    await fill(sink);
    await pending;
    options.signal?.throwIfAborted();
    const diffId = diffIsBlob ? undefined : elsewhere ? await elsewhere.digest() : diff.digest();
    const uncompressedSize = diffIsBlob ? blobSize : (elsewhere ?? diff).size;
    const { digest } = await writer.commit({ size: blobSize });
    return {
      descriptor: {
        mediaType: layerMediaType(compression, { oci: options.oci ?? true }),
        digest,
        size: blobSize,
        ...(options.annotations ? { annotations: options.annotations } : {}),
      },
      diffId: diffId ?? digest,
      uncompressedSize,
    };
  } catch (error) {
    await pending.catch(() => {});
    await writer.abort().catch(() => {});
    throw error;
  }
}
