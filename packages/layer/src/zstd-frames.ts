import { InvalidInputError } from '@lading/digest';

/**
 * zstd's frame format (RFC 8878 §3.1), read ahead of the decoder: every frame header is parsed here before any
 * byte of that frame reaches a decoder, so a window the caller did not allow is refused first, and block headers
 * are checked against the limits the format sets. Nothing is decoded here.
 */

/** zstd's own default for decoding (`ZSTD_WINDOWLOG_LIMIT_DEFAULT`, what `zstd -d` allows without `--long`). */
export const defaultMaxZstdWindow = 2 ** 27;
/** The largest window lading can decode at all (the fallback decoder's limit; zstd itself stops at 2^31). */
export const maxSupportedZstdWindow = 2_145_386_496;

export interface ZstdFrameHeader {
  /** Bytes of history the decoder must keep: from the window descriptor, or the content size for a single segment. */
  readonly windowSize: number;
  readonly contentSize?: number;
  readonly singleSegment: boolean;
  readonly checksum: boolean;
  readonly dictionaryId: number;
  readonly headerSize: number;
}

export type FramePiece =
  | { readonly kind: 'frame'; readonly header: ZstdFrameHeader }
  /** Bytes of the current frame (or of a skippable frame), cut so that a piece never spans two blocks. */
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array; readonly skippable: boolean }
  | { readonly kind: 'end' };

const blockMax = 128 * 1024;

function bad(message: string): InvalidInputError {
  return new InvalidInputError('BAD_ZSTD', `the layer is not valid zstd: ${message}`);
}

/** The frame header in `b` (starting with the magic), or undefined when more bytes are needed. */
export function parseZstdFrameHeader(b: Uint8Array): ZstdFrameHeader | undefined {
  if (b.length < 5) return undefined;
  const headerSize = frameHeaderSize(b);
  if (b.length < headerSize) return undefined;
  const fhd = b[4] as number;
  const fcsFlag = fhd >> 6;
  const singleSegment = ((fhd >> 5) & 1) === 1;
  if ((fhd & 0x08) !== 0) throw bad('a frame header has its reserved bit set');
  const checksum = ((fhd >> 2) & 1) === 1;
  const didBytes = [0, 1, 2, 4][fhd & 3] as number;
  const fcsBytes = fcsFlag === 0 ? (singleSegment ? 1 : 0) : 2 ** fcsFlag;
  let at = 5;
  let windowSize = 0;
  if (!singleSegment) {
    const wd = b[at++] as number;
    // Exact arithmetic: 2^(10+exponent) reaches 2^41, past what a 32-bit shift can hold.
    const base = 2 ** (10 + (wd >> 3));
    windowSize = base + (base / 8) * (wd & 7);
  }
  let dictionaryId = 0;
  for (let i = 0; i < didBytes; i++) dictionaryId += (b[at++] as number) * 2 ** (8 * i);
  let contentSize: number | undefined;
  if (fcsBytes > 0) {
    let v = 0;
    for (let i = 0; i < fcsBytes; i++) v += (b[at++] as number) * 2 ** (8 * i);
    contentSize = fcsBytes === 2 ? v + 256 : v;
  }
  if (singleSegment) windowSize = contentSize as number;
  return {
    windowSize,
    ...(contentSize === undefined ? {} : { contentSize }),
    singleSegment,
    checksum,
    dictionaryId,
    headerSize,
  };
}

export interface FrameWalkOptions {
  /** Largest window to accept (default 2^27, zstd's own). */
  readonly maxWindow?: number;
}

/**
 * Splits a zstd stream into its frames: a `frame` piece with the parsed header comes before the bytes of each
 * frame (its header bytes included), `end` after its last block and checksum. Windows above `maxWindow` are an
 * `InvalidInputError` code `ZSTD_WINDOW_TOO_LARGE`; malformed headers and a stream cut inside a frame are `BAD_ZSTD`.
 */
export async function* walkZstdFrames(
  source: AsyncIterable<Uint8Array>,
  options: FrameWalkOptions = {},
): AsyncGenerator<FramePiece> {
  const maxWindow = options.maxWindow ?? defaultMaxZstdWindow;
  /** A header being gathered across chunks: frame magic and header, skippable header, block header. */
  let held = new Uint8Array(0);
  let state: 'magic' | 'header' | 'skip-header' | 'block' | 'body' | 'checksum' | 'skip' = 'magic';
  /** Bytes of a block body, checksum or skippable frame still to pass through. */
  let remaining = 0;
  let header: ZstdFrameHeader | undefined;
  let lastBlock = false;

  /** Moves bytes from `chunk` at `from` into `held` until it has `want` bytes; returns how many were taken. */
  const gather = (chunk: Uint8Array, from: number, want: number): number => {
    const take = Math.min(want - held.length, chunk.length - from);
    if (take <= 0) return 0;
    const next = new Uint8Array(held.length + take);
    next.set(held);
    next.set(chunk.subarray(from, from + take), held.length);
    held = next;
    return take;
  };
  const takeHeld = (): Uint8Array => {
    const b = held;
    held = new Uint8Array(0);
    return b;
  };

  for await (const chunk of source) {
    let i = 0;
    while (i < chunk.length) {
      switch (state) {
        case 'magic': {
          i += gather(chunk, i, 4);
          if (held.length < 4) break;
          if (held[0] === 0x28 && held[1] === 0xb5 && held[2] === 0x2f && held[3] === 0xfd) state = 'header';
          else if (
            ((held[0] as number) & 0xf0) === 0x50 &&
            held[1] === 0x2a &&
            held[2] === 0x4d &&
            held[3] === 0x18
          )
            state = 'skip-header';
          else throw bad('a frame does not start with the zstd magic number');
          break;
        }
        case 'skip-header': {
          i += gather(chunk, i, 8);
          if (held.length < 8) break;
          remaining = new DataView(held.buffer, held.byteOffset, 8).getUint32(4, true);
          yield { kind: 'bytes', bytes: takeHeld(), skippable: true };
          state = 'skip';
          break;
        }
        case 'header': {
          // Five bytes tell the header's size, then exactly that many are gathered.
          i += gather(chunk, i, 5);
          if (held.length < 5) break;
          let h = parseZstdFrameHeader(held);
          if (h === undefined) {
            i += gather(chunk, i, frameHeaderSize(held));
            h = parseZstdFrameHeader(held);
            if (h === undefined) break;
          }
          checkWindow(h, maxWindow);
          if (h.dictionaryId !== 0) {
            throw new InvalidInputError(
              'BAD_ZSTD',
              `the layer's zstd frame needs dictionary ${h.dictionaryId}; layers are decoded without dictionaries`,
            );
          }
          header = h;
          yield { kind: 'frame', header: h };
          yield { kind: 'bytes', bytes: takeHeld(), skippable: false };
          state = 'block';
          break;
        }
        case 'block': {
          i += gather(chunk, i, 3);
          if (held.length < 3) break;
          const bh = (held[0] as number) | ((held[1] as number) << 8) | ((held[2] as number) << 16);
          lastBlock = (bh & 1) === 1;
          const type = (bh >> 1) & 3;
          const size = bh >>> 3;
          const limit = Math.min((header as ZstdFrameHeader).windowSize, blockMax);
          if (type === 3) throw bad('a block has the reserved block type');
          if (size > limit)
            throw bad(`a block of ${size} bytes is larger than the ${limit} its frame allows`);
          remaining = type === 1 ? 1 : size;
          const blockHeader = takeHeld();
          // The block header goes out with its body when the body is all here: a decoder fed piece by piece
          // then never holds a header alone.
          if (remaining <= chunk.length - i) {
            const piece = new Uint8Array(3 + remaining);
            piece.set(blockHeader);
            piece.set(chunk.subarray(i, i + remaining), 3);
            i += remaining;
            remaining = 0;
            yield { kind: 'bytes', bytes: piece, skippable: false };
            if (afterBlock()) yield { kind: 'end' };
            break;
          }
          yield { kind: 'bytes', bytes: blockHeader, skippable: false };
          state = 'body';
          break;
        }
        default: {
          // body, checksum, skip: bytes pass through.
          // (afterBlock changes state inside a closure, which narrowing does not see.)
          const passing = state as 'body' | 'checksum' | 'skip';
          const take = Math.min(remaining, chunk.length - i);
          if (take > 0)
            yield { kind: 'bytes', bytes: chunk.subarray(i, i + take), skippable: passing === 'skip' };
          i += take;
          remaining -= take;
          if (remaining > 0) break;
          if (passing === 'body') {
            if (afterBlock()) yield { kind: 'end' };
          } else {
            if (passing === 'checksum') yield { kind: 'end' };
            state = 'magic';
          }
        }
      }
    }
  }
  if (state === 'skip' && remaining === 0) return;
  if (state !== 'magic' || held.length > 0) throw bad('the stream ends inside a frame (truncated)');

  /** After a block: the next block, the checksum, or the end of the frame (true). */
  function afterBlock(): boolean {
    if (!lastBlock) {
      state = 'block';
      return false;
    }
    if ((header as ZstdFrameHeader).checksum) {
      state = 'checksum';
      remaining = 4;
      return false;
    }
    state = 'magic';
    return true;
  }
}

/** The size of a frame header (magic included) from its first five bytes. */
function frameHeaderSize(b: Uint8Array): number {
  const fhd = b[4] as number;
  const singleSegment = ((fhd >> 5) & 1) === 1;
  const fcsFlag = fhd >> 6;
  const fcsBytes = fcsFlag === 0 ? (singleSegment ? 1 : 0) : 2 ** fcsFlag;
  return 5 + (singleSegment ? 0 : 1) + ([0, 1, 2, 4][fhd & 3] as number) + fcsBytes;
}

function checkWindow(h: ZstdFrameHeader, maxWindow: number): void {
  if (h.windowSize <= maxWindow && h.windowSize <= maxSupportedZstdWindow) return;
  const mib = (n: number) => `${Math.round((n / 2 ** 20) * 10) / 10} MiB`;
  throw new InvalidInputError(
    'ZSTD_WINDOW_TOO_LARGE',
    h.windowSize > maxSupportedZstdWindow
      ? `the layer's zstd frame needs a ${mib(h.windowSize)} window, more than the ${mib(maxSupportedZstdWindow)} lading can decode`
      : `the layer's zstd frame needs a ${mib(h.windowSize)} window, more than the ${mib(maxWindow)} allowed (zstd's own default); raise maxZstdWindow if the layer is trusted`,
  );
}
