import { InvalidInputError, LadingError } from '@lading/digest';

/**
 * libzstd's streaming decoder (`ZSTD_decompressStream`), from the WebAssembly build the `zstddec` package ships,
 * driven here so that each call hands out at most one output buffer (128 KiB): a layer that expands a thousandfold
 * still reaches the tar reader in bounded slices. libzstd keeps the window as a ring buffer and refuses windows
 * above 2^27 by itself; lading checks every frame header before it gets here (zstd-frames.ts).
 */

interface ZstdExports {
  readonly memory: { readonly buffer: ArrayBuffer };
  ZSTD_createDCtx(): number;
  ZSTD_freeDCtx(dctx: number): number;
  ZSTD_decompressStream(dctx: number, output: number, input: number): number;
  ZSTD_DStreamInSize(): number;
  ZSTD_DStreamOutSize(): number;
  malloc(size: number): number;
  free(ptr: number): void;
}

let loading: Promise<ZstdExports> | undefined;

/** The module, instantiated once per process (its memory grows to the largest window seen, and stays). */
function loadExports(): Promise<ZstdExports> {
  loading ??= (async () => {
    const { ZSTDDecoder } = await import('zstddec/stream');
    let exports: ZstdExports | undefined;
    // zstddec hands its instance to `_init`; a subclass keeps it, to drive the stream API with our own buffers.
    class Capture extends ZSTDDecoder {
      override _init(result: { instance: { exports: unknown } }): void {
        exports = result.instance.exports as ZstdExports;
        super._init(result as Parameters<InstanceType<typeof ZSTDDecoder>['_init']>[0]);
      }
    }
    await new Capture().init();
    if (exports === undefined || typeof exports.ZSTD_decompressStream !== 'function') {
      throw new LadingError(
        'ZSTD_UNAVAILABLE',
        'the zstd decoder (zstddec) did not load its WebAssembly module',
      );
    }
    return exports;
  })();
  return loading;
}

// libzstd's error codes (zstd_errors.h) that a hostile or damaged layer can cause.
const zstdErrors: Record<number, string> = {
  10: 'unknown frame descriptor',
  12: 'unsupported zstd version',
  14: 'unsupported frame parameter',
  16: 'frame requires too much memory for decoding',
  20: 'corrupted block detected',
  22: 'content checksum mismatch',
  24: 'corrupted literals header',
  30: 'dictionary is corrupted',
  32: 'dictionary mismatch',
  44: 'table log too large',
  46: 'max symbol value too large',
  64: 'allocation error: not enough memory',
};

/** One decoding context: `push` yields the output of the given input, `end` checks that the last frame ended. */
export class WasmZstdStream {
  readonly #e: ZstdExports;
  readonly #dctx: number;
  readonly #inSize: number;
  readonly #outSize: number;
  readonly #inPtr: number;
  readonly #outPtr: number;
  /** ZSTD_inBuffer { src, size, pos } and ZSTD_outBuffer { dst, size, pos }: three 32-bit words each. */
  readonly #inBuf: number;
  readonly #outBuf: number;
  /** What the last call returned: 0 when a frame was completely decoded and flushed. */
  #last = 0;
  #freed = false;

  private constructor(e: ZstdExports) {
    this.#e = e;
    this.#dctx = e.ZSTD_createDCtx();
    this.#inSize = e.ZSTD_DStreamInSize();
    this.#outSize = e.ZSTD_DStreamOutSize();
    this.#inPtr = e.malloc(this.#inSize);
    this.#outPtr = e.malloc(this.#outSize);
    this.#inBuf = e.malloc(12);
    this.#outBuf = e.malloc(12);
    if (!this.#dctx || !this.#inPtr || !this.#outPtr || !this.#inBuf || !this.#outBuf) {
      this.free();
      throw new LadingError('ZSTD_UNAVAILABLE', 'the zstd decoder could not allocate its buffers');
    }
  }

  static async create(): Promise<WasmZstdStream> {
    return new WasmZstdStream(await loadExports());
  }

  /** The largest slice `push` yields. */
  get sliceSize(): number {
    return this.#outSize;
  }

  /** Decodes `input`, yielding copies of at most `sliceSize` bytes. */
  *push(input: Uint8Array): Generator<Uint8Array> {
    const e = this.#e;
    for (let at = 0; at < input.length; at += this.#inSize) {
      const piece = input.subarray(at, Math.min(at + this.#inSize, input.length));
      // The memory can grow during a call, which replaces its buffer: views are taken again after each.
      new Uint8Array(e.memory.buffer).set(piece, this.#inPtr);
      this.#words(this.#inBuf, this.#inPtr, piece.length);
      let before = 0;
      for (;;) {
        this.#words(this.#outBuf, this.#outPtr, this.#outSize);
        const ret = e.ZSTD_decompressStream(this.#dctx, this.#outBuf, this.#inBuf) >>> 0;
        if (ret > 0xffffff00) throw describe(2 ** 32 - ret);
        const view = new DataView(e.memory.buffer);
        const produced = view.getUint32(this.#outBuf + 8, true);
        const consumed = view.getUint32(this.#inBuf + 8, true);
        // A call that moved nothing answers with a hint for the next frame: only progress says where we are.
        if (produced === 0 && consumed === before) break;
        this.#last = ret;
        before = consumed;
        if (produced > 0) yield new Uint8Array(e.memory.buffer, this.#outPtr, produced).slice();
        // Done with this input once it is all read and the output was not full (nothing left to flush).
        if (consumed >= piece.length && produced < this.#outSize) break;
      }
    }
  }

  /** Throws unless the stream stopped at the end of a frame. */
  end(): void {
    if (this.#last !== 0) {
      throw new InvalidInputError(
        'BAD_ZSTD',
        'the layer is not valid zstd: the stream ends inside a frame (truncated)',
      );
    }
  }

  free(): void {
    if (this.#freed) return;
    this.#freed = true;
    const e = this.#e;
    if (this.#dctx) e.ZSTD_freeDCtx(this.#dctx);
    for (const p of [this.#inPtr, this.#outPtr, this.#inBuf, this.#outBuf]) if (p) e.free(p);
  }

  #words(at: number, ptr: number, size: number): void {
    const view = new DataView(this.#e.memory.buffer);
    view.setUint32(at, ptr, true);
    view.setUint32(at + 4, size, true);
    view.setUint32(at + 8, 0, true);
  }
}

function describe(code: number): LadingError {
  const what = zstdErrors[code] ?? `zstd error ${code}`;
  if (code === 64) return new LadingError('ZSTD_FAILED', `cannot decode the layer: ${what}`);
  return new InvalidInputError('BAD_ZSTD', `the layer is not valid zstd: ${what}`);
}
