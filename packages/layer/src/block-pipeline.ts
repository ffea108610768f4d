/** What a block's work gives back: the result, and the block's memory when it can be reused. */
export interface BlockResult {
  readonly out: Uint8Array;
  readonly reuse?: Uint8Array;
}

/**
 * Cuts a byte stream into fixed-size blocks, runs `work` on up to `inFlight` blocks at once and yields the results
 * in input order. The source is pulled only while fewer than `inFlight` blocks wait, so memory stays at about
 * `(inFlight + 1) * blockSize` whatever the stream's length; blocks handed back by `work` are filled again instead
 * of leaving garbage for the collector. `allocate` makes a new block (default: `Buffer.allocUnsafe`).
 */
export async function* mapBlocks(
  source: AsyncIterable<Uint8Array>,
  blockSize: number,
  inFlight: number,
  work: (block: Uint8Array) => Promise<BlockResult>,
  signal?: AbortSignal,
  allocate: (size: number) => Buffer = Buffer.allocUnsafe,
): AsyncGenerator<Uint8Array> {
  const queue: Promise<BlockResult>[] = [];
  const free: Buffer[] = [];
  const take = () => free.pop() ?? allocate(blockSize);
  const settle = async (p: Promise<BlockResult>): Promise<Uint8Array> => {
    const r = await p;
    if (r.reuse && r.reuse.byteLength === blockSize && free.length < inFlight + 1) {
      free.push(Buffer.from(r.reuse.buffer, r.reuse.byteOffset, r.reuse.byteLength));
    }
    return r.out;
  };
  let block = take();
  let pos = 0;
  const submit = (b: Uint8Array) => {
    const p = work(b);
    p.catch(() => {});
    queue.push(p);
  };
  try {
    for await (const chunk of source) {
      let off = 0;
      while (off < chunk.length) {
        const n = Math.min(chunk.length - off, blockSize - pos);
        block.set(chunk.subarray(off, off + n), pos);
        pos += n;
        off += n;
        if (pos === blockSize) {
          submit(block);
          while (queue.length >= inFlight) {
            signal?.throwIfAborted();
            yield await settle(queue.shift() as Promise<BlockResult>);
          }
          block = take();
          pos = 0;
        }
      }
    }
    if (pos > 0) submit(block.subarray(0, pos));
    while (queue.length > 0) yield await settle(queue.shift() as Promise<BlockResult>);
  } finally {
    queue.length = 0;
  }
}
