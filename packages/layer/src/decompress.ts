import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { Compression } from '@lading/digest';
import { InvalidInputError } from '@lading/digest';

/** The compression of a blob, from its first bytes: gzip `1f 8b`, zstd `28 b5 2f fd`, else uncompressed. */
export function detectCompression(head: Uint8Array): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd)
    return 'zstd';
  return 'uncompressed';
}

/** Reads the first bytes of a stream and returns them with a stream that still yields everything. */
export async function peekStream(
  source: AsyncIterable<Uint8Array>,
  bytes: number,
): Promise<{ head: Uint8Array; stream: AsyncIterable<Uint8Array> }> {
  const it = source[Symbol.asyncIterator]();
  const held: Uint8Array[] = [];
  let have = 0;
  let done = false;
  while (have < bytes) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    held.push(r.value);
    have += r.value.length;
  }
  const head = Buffer.concat(held).subarray(0, bytes);
  async function* rest(): AsyncGenerator<Uint8Array> {
    yield* held;
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  return { head, stream: rest() };
}

async function* gunzip(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const gz = createGunzip({ chunkSize: 1 << 20 });
  const feeding = pipeline(Readable.from(source, { objectMode: false }), gz).catch((e: unknown) => {
    gz.destroy(e as Error);
  });
  try {
    for await (const chunk of gz) yield chunk as Buffer;
  } catch (cause) {
    throw new InvalidInputError('BAD_GZIP', `the layer is not valid gzip: ${(cause as Error).message}`, {
      cause,
    });
  }
  await feeding;
}

async function* unzstd(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  // Loaded on first use, so gzip-only work never pays for it.
  const { Decompress } = await import('fzstd');
  let out: Uint8Array[] = [];
  const d = new Decompress((chunk) => {
    out.push(chunk);
  });
  try {
    for await (const chunk of source) {
      d.push(chunk);
      if (out.length > 0) {
        const ready = out;
        out = [];
        yield* ready;
      }
    }
    d.push(new Uint8Array(0), true);
  } catch (cause) {
    if (cause instanceof InvalidInputError) throw cause;
    throw new InvalidInputError('BAD_ZSTD', `the layer is not valid zstd: ${(cause as Error).message}`, {
      cause,
    });
  }
  yield* out;
}

/** Decompresses a layer blob whatever its compression (detected from the magic bytes). */
export async function decompressStream(
  source: AsyncIterable<Uint8Array>,
): Promise<{ compression: Compression; stream: AsyncIterable<Uint8Array> }> {
  const { head, stream } = await peekStream(source, 4);
  const compression = detectCompression(head);
  if (compression === 'gzip') return { compression, stream: gunzip(stream) };
  if (compression === 'zstd') return { compression, stream: unzstd(stream) };
  return { compression, stream };
}
