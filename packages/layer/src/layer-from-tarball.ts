import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { Ingester } from '@lading/content-store';
import type { Compression } from '@lading/digest';
import { type Digester, InvalidInputError, isInvalidInputError } from '@lading/digest';
import { commitLayer } from './commit-layer.js';
import { decompressStream, detectCompression, peekStream } from './decompress.js';
import type { Layer, LayerWriteOptions } from './layer.js';
import { writeLayer } from './write-layer.js';

export interface TarballLayerOptions extends Omit<LayerWriteOptions, 'compression'> {
  /** `keep` (default) stores the blob as it is; another value recompresses (or decompresses) it. */
  readonly compression?: Compression | 'keep';
}

/** Hashes the decompressed bytes of a compressed stream fed chunk by chunk, for the diffID of a kept blob. */
function sideDecoder(compression: Compression, diff: Digester) {
  if (compression === 'zstd') {
    // Loaded on first use, so gzip-only work never pays for it.
    const decoder = import('fzstd').then(({ Decompress }) => new Decompress((chunk) => diff.update(chunk)));
    return {
      push: async (chunk: Uint8Array) => (await decoder).push(chunk),
      end: async () => (await decoder).push(new Uint8Array(0), true),
    };
  }
  const gz = createGunzip({ chunkSize: 1 << 20 });
  let failure: Error | undefined;
  gz.on('data', (chunk: Buffer) => diff.update(chunk));
  gz.on('error', (e) => {
    failure = e;
  });
  return {
    push: async (chunk: Uint8Array) => {
      if (failure) throw failure;
      if (!gz.write(chunk)) await Promise.race([once(gz, 'drain'), once(gz, 'error')]);
      if (failure) throw failure;
    },
    end: async () => {
      gz.end();
      if (!gz.readableEnded && !failure)
        await Promise.race([once(gz, 'end'), once(gz, 'error')]).catch(() => {});
      if (failure) throw failure;
    },
  };
}

/**
 * Makes a layer from an existing tarball (a path or a byte stream; plain, gzip or zstd, detected by magic bytes).
 * Kept as it is, the blob is copied to the store once while its decompressed bytes are hashed for the diffID;
 * otherwise it is decompressed and written again with the asked compression.
 */
export async function layerFromTarball(
  source: string | AsyncIterable<Uint8Array>,
  store: Ingester,
  options: TarballLayerOptions = {},
): Promise<Layer> {
  const input: AsyncIterable<Uint8Array> =
    typeof source === 'string' ? createReadStream(source, { highWaterMark: 1 << 20 }) : source;
  const { head, stream } = await peekStream(input, 4);
  const found = detectCompression(head);
  const want = options.compression ?? 'keep';
  if (want !== 'keep' && want !== found) {
    const { stream: plain } = await decompressStream(stream);
    return writeLayer(plain, store, { ...options, compression: want });
  }
  if (found === 'uncompressed') return writeLayer(stream, store, { ...options, compression: 'uncompressed' });
  try {
    return await commitLayer(store, found, { ...options, compression: found }, async (sink) => {
      const side = sideDecoder(found, sink.diff);
      for await (const chunk of stream) {
        options.signal?.throwIfAborted();
        // The side decoder hashes before the blob write, so progress counts the chunk's tar bytes too.
        await side.push(chunk);
        await sink.write(chunk);
      }
      try {
        await side.end();
      } catch (cause) {
        throw new InvalidInputError(
          'BAD_TARBALL',
          `the tarball is not valid ${found}: ${(cause as Error).message}`,
          { cause },
        );
      }
    });
  } catch (error) {
    if (
      error instanceof Error &&
      !isInvalidInputError(error) &&
      /gzip|zstd|header|check/i.test(error.message)
    ) {
      throw new InvalidInputError('BAD_TARBALL', `the tarball is not valid ${found}: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
}
