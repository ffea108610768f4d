import { Worker } from 'node:worker_threads';
import { type Digest, makeDigest } from '@lading/digest';

// Inline CommonJS, as the gzip pool's worker, so it runs the same from dist/, a bundle and sources under a test
// runner. Blocks come as views of shared memory: nothing is copied to hash them.
const workerSource = `
const { parentPort } = require('node:worker_threads');
const hash = require('node:crypto').createHash('sha256');
const memories = new Map();
parentPort.on('message', (msg) => {
  if (msg.end) parentPort.postMessage({ hex: hash.digest('hex') });
  else {
    if (msg.memory) memories.set(msg.id, msg.memory);
    hash.update(new Uint8Array(memories.get(msg.id), msg.offset, msg.length));
    parentPort.postMessage({ done: true });
  }
});
`;

/**
 * A sha256 computed on its own worker thread, over blocks held in a `SharedArrayBuffer`: the diffID of a zstd layer
 * is hashed while the main thread reads the tree and the thread pool compresses, as `tar | zstd -T2 | sha256sum`
 * spreads the same work over processes. Blocks are hashed in the order given; `update` resolves once its block is
 * hashed, after which the caller may fill the block again.
 */
export class OffThreadSha256 {
  readonly #worker: Worker;
  readonly #waiting: { resolve: (m: { hex?: string }) => void; reject: (e: Error) => void }[] = [];
  #failed: Error | undefined;
  #size = 0;
  #digest: Promise<Digest> | undefined;
  readonly #ids = new Map<SharedArrayBuffer, number>();

  constructor() {
    this.#worker = new Worker(workerSource, { eval: true });
    this.#worker.unref();
    this.#worker.on('message', (m: { hex?: string }) => this.#waiting.shift()?.resolve(m));
    const fail = (error: Error) => {
      this.#failed ??= error;
      for (const w of this.#waiting.splice(0)) w.reject(error);
    };
    this.#worker.on('error', fail);
    this.#worker.on('exit', (code) => fail(new Error(`hash worker exited with code ${code}`)));
  }

  /** Bytes given so far. */
  get size(): number {
    return this.#size;
  }

  /** Hashes `block`, a view of a `SharedArrayBuffer`, after the blocks given before it. */
  update(block: Uint8Array): Promise<void> {
    if (!(block.buffer instanceof SharedArrayBuffer))
      throw new TypeError('OffThreadSha256.update takes views of a SharedArrayBuffer');
    this.#size += block.byteLength;
    // Each shared block is sent once and named by a number after that: the pipeline fills the same few again.
    let id = this.#ids.get(block.buffer);
    const first = id === undefined;
    if (id === undefined) {
      id = this.#ids.size + 1;
      this.#ids.set(block.buffer, id);
    }
    const where = { id, offset: block.byteOffset, length: block.byteLength };
    return this.#ask(first ? { ...where, memory: block.buffer } : where).then(() => {});
  }

  /** Finishes the hash once every block given is hashed; later calls (also after `close`) return the same. */
  digest(): Promise<Digest> {
    this.#digest ??= this.#ask({ end: true }).then(({ hex }) => makeDigest('sha256', hex as string));
    return this.#digest;
  }

  async close(): Promise<void> {
    await this.#worker.terminate();
  }

  #ask(msg: object): Promise<{ hex?: string }> {
    if (this.#failed) return Promise.reject(this.#failed);
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      this.#worker.postMessage(msg);
    });
  }
}
