import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { Compression } from '@lading/digest';
import { InvalidInputError, isLadingError, OptionError } from '@lading/digest';
import { defaultMaxZstdWindow, maxSupportedZstdWindow, walkZstdFrames } from './zstd-frames.js';

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
    try {
      yield* held;
      if (done) return;
      for (;;) {
        const r = await it.next();
        if (r.done) {
          done = true;
          return;
        }
        yield r.value;
      }
    } finally {
      // A reader that stops early (a refused layer) closes the source too: its file is closed at once.
      if (!done) await it.return?.();
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

async function* unzstd(source: AsyncIterable<Uint8Array>, maxWindow: number): AsyncGenerator<Uint8Array> {
  // Loaded on first use, so gzip-only work never pays for it.
  const { WasmZstdStream } = await import('./zstd-wasm.js');
  const wasm = await WasmZstdStream.create();
  /** A frame above libzstd's own 2^27 (allowed by raising maxZstdWindow) goes to fzstd instead. */
  let big: { push(chunk: Uint8Array, final?: boolean): void } | undefined;
  let bigOut: Uint8Array[] = [];
  try {
    for await (const piece of walkZstdFrames(source, { maxWindow })) {
      if (piece.kind === 'frame') {
        if (piece.header.windowSize > defaultMaxZstdWindow) {
          const { Decompress } = await import('fzstd');
          big = new Decompress((chunk) => {
            bigOut.push(chunk);
          });
        }
        continue;
      }
      if (piece.kind === 'end') {
        if (big !== undefined) {
          big.push(new Uint8Array(0), true);
          big = undefined;
          yield* takeAll();
        }
        continue;
      }
      if (big === undefined) {
        yield* wasm.push(piece.bytes);
        continue;
      }
      // fzstd decodes whatever it is given at once: the walker's pieces never span two blocks, so each push
      // yields at most a block or two (128 KiB each).
      if (!piece.skippable) big.push(piece.bytes);
      yield* takeAll();
    }
    wasm.end();
  } catch (cause) {
    if (isLadingError(cause)) throw cause;
    throw new InvalidInputError('BAD_ZSTD', `the layer is not valid zstd: ${(cause as Error).message}`, {
      cause,
    });
  } finally {
    wasm.free();
  }
  function* takeAll(): Generator<Uint8Array> {
    const ready = bigOut;
    bigOut = [];
    yield* ready;
  }
}

export interface DecompressOptions {
  /**
   * Largest zstd window accepted (bytes; default 2^27, zstd's own `--long` limit). A frame asking for more is an
   * `InvalidInputError` code `ZSTD_WINDOW_TOO_LARGE` before any of it is decoded. Raise it only for trusted layers:
   * the window is memory (and above 2^27 the slower fzstd decoder is used).
   */
  readonly maxZstdWindow?: number;
}

export function checkMaxZstdWindow(value: number | undefined): number {
  const v = value ?? defaultMaxZstdWindow;
  if (!Number.isSafeInteger(v) || v < 1024 || v > maxSupportedZstdWindow) {
    throw new OptionError(
      'BAD_ZSTD_WINDOW',
      `maxZstdWindow ${v} is out of range; give 1024 to ${maxSupportedZstdWindow} bytes`,
      { key: 'maxZstdWindow' },
    );
  }
  return v;
}

/**
 * Decompresses a layer blob whatever its compression (detected from the magic bytes), in bounded slices (at most
 * 1 MiB for gzip, 128 KiB for zstd) however much the input expands.
 */
export async function decompressStream(
  source: AsyncIterable<Uint8Array>,
  options: DecompressOptions = {},
): Promise<{ compression: Compression; stream: AsyncIterable<Uint8Array> }> {
  const maxWindow = checkMaxZstdWindow(options.maxZstdWindow);
  const { head, stream } = await peekStream(source, 4);
  const compression = detectCompression(head);
  // node:zlib stops inflating while its output is not read: a gzip bomb is handed on in 1 MiB slices too.
  if (compression === 'gzip') return { compression, stream: gunzip(stream) };
  if (compression === 'zstd') return { compression, stream: unzstd(stream, maxWindow) };
  return { compression, stream };
}
