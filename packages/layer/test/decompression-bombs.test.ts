// Decompression bombs. zstd frames are built here byte by byte from RFC 8878 (frame header, window descriptor,
// RLE and raw blocks), and the zstd CLI is the oracle for what they decode to. Windows above zstd's own default
// (2^27) are refused before anything is decoded; what is decoded reaches the caller in bounded slices however much
// one input chunk expands (today's fzstd decoded a whole 64 KiB chunk, hundreds of MiB, before yielding).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { InvalidInputError, OptionError } from '@lading/digest';
import { havePeers } from '@lading/testkit';
import { describe, expect, it } from 'vitest';
import { decompressStream } from '../src/index.js';

const magic = [0x28, 0xb5, 0x2f, 0xfd];

/** A frame with a window descriptor (exponent, mantissa), no content size, no checksum, and the given blocks. */
function frame(exponent: number, blocks: Buffer[], mantissa = 0): Buffer {
  return Buffer.concat([Buffer.from([...magic, 0x00, (exponent << 3) | mantissa]), ...blocks]);
}
function blockHeader(type: 0 | 1 | 2, size: number, last: boolean): Buffer {
  const h = (size << 3) | (type << 1) | (last ? 1 : 0);
  return Buffer.from([h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff]);
}
/** `count` RLE blocks of 128 KiB of `byte`: 4 bytes in, 128 KiB out, each. */
function rleBlocks(count: number, byte = 0x61): Buffer[] {
  return Array.from({ length: count }, (_, i) =>
    Buffer.concat([blockHeader(1, 128 * 1024, i === count - 1), Buffer.from([byte])]),
  );
}

async function* once(b: Uint8Array): AsyncGenerator<Uint8Array> {
  yield b;
}

/** Yields `b`, then counts how often the decoder asks for more (it never should, past a refused header). */
function counted(b: Uint8Array): { source: AsyncIterable<Uint8Array>; pulls: () => number } {
  let pulls = 0;
  return {
    pulls: () => pulls,
    source: (async function* () {
      pulls++;
      yield b;
      for (;;) {
        pulls++;
        yield new Uint8Array(64 * 1024);
      }
    })(),
  };
}

async function drain(
  stream: AsyncIterable<Uint8Array>,
): Promise<{ bytes: number; max: number; sha: string }> {
  const h = createHash('sha256');
  let bytes = 0;
  let max = 0;
  for await (const c of stream) {
    h.update(c);
    bytes += c.length;
    max = Math.max(max, c.length);
  }
  return { bytes, max, sha: h.digest('hex') };
}

async function refusal(bytes: Uint8Array, options = {}): Promise<InvalidInputError> {
  const { stream } = await decompressStream(once(bytes), options);
  try {
    await drain(stream);
  } catch (error) {
    return error as InvalidInputError;
  }
  throw new Error('expected a refusal');
}

describe('zstd windows', () => {
  it('refuses a 1 GiB window before decoding anything, and reads no further than the header', async () => {
    const bomb = frame(20, rleBlocks(4));
    const { source, pulls } = counted(bomb);
    const { stream } = await decompressStream(source);
    const error = await drain(stream).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ code: 'ZSTD_WINDOW_TOO_LARGE' });
    expect((error as Error).message).toContain('1024 MiB');
    expect(pulls()).toBe(1);
  });

  it.each([
    ['2 GiB (window descriptor exponent 21)', frame(21, rleBlocks(1)), '2048 MiB'],
    ['2.5 GiB', frame(21, rleBlocks(1), 2), '2560 MiB'],
    ['2^41, the largest a descriptor can say', frame(31, rleBlocks(1), 7), 'MiB'],
  ])('a %s window is refused as too large, never misread through an overflow', async (_, bytes, size) => {
    const error = await refusal(bytes);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.code).toBe('ZSTD_WINDOW_TOO_LARGE');
    expect(error.message).toContain(size);
  });

  it('a single-segment frame whose 8-byte content size is 2^40 is refused (its window is its content size)', async () => {
    const fcs = Buffer.alloc(8);
    fcs.writeBigUInt64LE(2n ** 40n);
    // FHD: content size flag 3 (8 bytes), single segment.
    const bytes = Buffer.concat([Buffer.from([...magic, 0xe0]), fcs, ...rleBlocks(1)]);
    const error = await refusal(bytes);
    expect(error.code).toBe('ZSTD_WINDOW_TOO_LARGE');
  });

  it('accepts 2^27, zstd’s own limit, and decodes what the zstd CLI decodes', async () => {
    const bytes = frame(17, rleBlocks(64));
    const got = await drain((await decompressStream(once(bytes))).stream);
    expect(got.bytes).toBe(64 * 128 * 1024);
    if (havePeers('zstd')) {
      const want = execFileSync('zstd', ['-d', '-c'], { input: bytes, maxBuffer: 1 << 30 });
      expect(got.sha).toBe(createHash('sha256').update(want).digest('hex'));
    }
  });

  it('a raised maxZstdWindow decodes a 256 MiB window (as zstd --long=28 does); the default refuses it', async () => {
    const bytes = frame(18, [
      ...rleBlocks(3, 0x62).map((b, i) =>
        i === 2 ? Buffer.concat([blockHeader(1, 128 * 1024, false), b.subarray(3)]) : b,
      ),
      Buffer.concat([blockHeader(0, 5, true), Buffer.from('tail!')]),
    ]);
    expect((await refusal(bytes)).code).toBe('ZSTD_WINDOW_TOO_LARGE');
    const got = await drain((await decompressStream(once(bytes), { maxZstdWindow: 2 ** 28 })).stream);
    expect(got.bytes).toBe(3 * 128 * 1024 + 5);
    expect(got.max).toBeLessThanOrEqual(128 * 1024);
    if (havePeers('zstd')) {
      const want = execFileSync('zstd', ['-d', '-c', '--long=28'], { input: bytes, maxBuffer: 1 << 30 });
      expect(got.sha).toBe(createHash('sha256').update(want).digest('hex'));
    }
  });

  it('a lowered maxZstdWindow refuses what the default accepts; bad values are an OptionError', async () => {
    const bytes = frame(
      10,
      rleBlocks(1).map(() => Buffer.concat([blockHeader(1, 1024, true), Buffer.from([1])])),
    );
    expect((await drain((await decompressStream(once(bytes))).stream)).bytes).toBe(1024);
    await expect(decompressStream(once(bytes), { maxZstdWindow: 512 })).rejects.toBeInstanceOf(OptionError);
    await expect(decompressStream(once(bytes), { maxZstdWindow: 2 ** 32 })).rejects.toBeInstanceOf(
      OptionError,
    );
    const small = Buffer.concat([
      Buffer.from([...magic, 0x00, 0x08]),
      blockHeader(1, 2048, true),
      Buffer.from([1]),
    ]);
    expect((await refusal(small, { maxZstdWindow: 1024 })).code).toBe('ZSTD_WINDOW_TOO_LARGE');
  });

  it('a block larger than the format allows, a reserved block type and a cut stream are BAD_ZSTD', async () => {
    expect(
      (await refusal(frame(17, [Buffer.concat([blockHeader(1, 128 * 1024 + 1, true), Buffer.from([0])])])))
        .code,
    ).toBe('BAD_ZSTD');
    const reserved = Buffer.from([...magic, 0x00, 0x88, 0x07, 0x00, 0x00]);
    expect((await refusal(reserved)).code).toBe('BAD_ZSTD');
    expect((await refusal(frame(17, rleBlocks(3)).subarray(0, 12))).code).toBe('BAD_ZSTD');
  });
});

describe('bounded slices', () => {
  it('zstd: one input chunk that expands to 256 MiB reaches the caller in slices of at most 128 KiB', async () => {
    const bomb = frame(17, rleBlocks(2048));
    expect(bomb.length).toBeLessThan(9000);
    const { stream } = await decompressStream(once(bomb));
    const it = stream[Symbol.asyncIterator]();
    const started = Date.now();
    const first = await it.next();
    // The first slice comes before the rest is decoded (fzstd decoded the whole chunk first: seconds, 256 MiB).
    expect(Date.now() - started).toBeLessThan(2000);
    expect(first.value?.length).toBeLessThanOrEqual(128 * 1024);
    let bytes = first.value?.length ?? 0;
    for (let r = await it.next(); !r.done; r = await it.next()) {
      expect(r.value.length).toBeLessThanOrEqual(128 * 1024);
      bytes += r.value.length;
    }
    expect(bytes).toBe(2048 * 128 * 1024);
  });

  it('gzip: a bomb of 1 GiB of zeros reaches the caller in slices of at most 1 MiB, and input is read lazily', async () => {
    const member = gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 });
    const bomb = Buffer.concat(Array.from({ length: 16 }, () => member));
    let pulled = 0;
    async function* source(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < bomb.length; i += 64 * 1024) {
        pulled += Math.min(64 * 1024, bomb.length - i);
        yield bomb.subarray(i, i + 64 * 1024);
      }
    }
    const { compression, stream } = await decompressStream(source());
    expect(compression).toBe('gzip');
    let out = 0;
    let max = 0;
    let pulledAtFirst = -1;
    for await (const c of stream) {
      if (pulledAtFirst < 0) pulledAtFirst = pulled;
      out += c.length;
      max = Math.max(max, c.length);
    }
    expect(out).toBe(1024 * 1024 * 1024);
    expect(max).toBeLessThanOrEqual(1024 * 1024);
    // Only a few input chunks were read when the first slice came out (1 MiB of it is 1 GiB of output).
    expect(pulledAtFirst).toBeLessThanOrEqual(256 * 1024);
  });
});

describe('real zstd streams', () => {
  it('decodes what the zstd CLI writes (checksummed frames, long windows, several frames, skippable frames)', async () => {
    if (!havePeers('zstd')) return;
    const input = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < input.length; i += 4096)
      input.write(`block ${i} ${createHash('md5').update(String(i)).digest('hex')}`, i);
    const want = createHash('sha256')
      .update(Buffer.concat([input, input]))
      .digest('hex');
    const z = (args: string[]) => execFileSync('zstd', [...args, '-c'], { input, maxBuffer: 1 << 28 });
    const skippable = Buffer.concat([Buffer.from([0x53, 0x2a, 0x4d, 0x18, 3, 0, 0, 0]), Buffer.from('abc')]);
    const streams = [
      Buffer.concat([z(['-3']), z(['-19'])]),
      Buffer.concat([z(['--long=27', '-5', '--no-check']), skippable, z(['-1'])]),
    ];
    for (const s of streams) {
      // fed in odd-sized pieces so headers straddle chunks
      async function* pieces(): AsyncGenerator<Uint8Array> {
        for (let i = 0; i < s.length; i += 7919) yield s.subarray(i, i + 7919);
      }
      const got = await drain((await decompressStream(pieces())).stream);
      expect(got.sha).toBe(want);
    }
  });
});
