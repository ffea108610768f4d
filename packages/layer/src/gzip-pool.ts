import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { BlockResult } from './block-pipeline.js';

// The worker is inline CommonJS so it runs the same from dist/ and from sources under a test runner.
const workerSource = `
const { parentPort } = require('node:worker_threads');
const zlib = require('node:zlib');
parentPort.on('message', ({ id, block, level }) => {
  try {
    // One output buffer big enough for the whole member (deflate never grows data by more than ~0.1% + header),
    // handed back with the input block: nothing is left here for the collector.
    const out = zlib.gzipSync(block, { level, chunkSize: block.byteLength + (block.byteLength >> 6) + 1024 });
    const transfer = [out.buffer];
    if (block.buffer !== out.buffer) transfer.push(block.buffer);
    parentPort.postMessage({ id, out, block }, transfer);
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message || error) });
  }
});
`;

interface Job {
  resolve: (result: BlockResult) => void;
  reject: (e: Error) => void;
}

/**
 * Worker threads that gzip independent blocks. Each block becomes one complete gzip member (header, deflate data,
 * CRC and size); members written one after another are one valid gzip stream (RFC 1952 section 2.2). The bytes of a
 * member depend only on the block and the level, so the output is the same for any number of workers.
 */
export class GzipPool {
  readonly size: number;
  #workers: Worker[] = [];
  #busy: number[] = [];
  #jobs = new Map<number, Job>();
  #owner = new Map<number, number>();
  #nextId = 0;
  #closed = false;

  constructor(size = defaultWorkers()) {
    this.size = Math.max(1, Math.floor(size));
  }

  #spawn(index: number): Worker {
    const w = new Worker(workerSource, { eval: true });
    w.unref();
    w.on('message', (msg: { id: number; out?: Uint8Array; block?: Uint8Array; error?: string }) => {
      const job = this.#jobs.get(msg.id);
      if (!job) return;
      this.#jobs.delete(msg.id);
      this.#busy[index] = (this.#busy[index] ?? 1) - 1;
      this.#owner.delete(msg.id);
      if (msg.out) job.resolve(msg.block ? { out: msg.out, reuse: msg.block } : { out: msg.out });
      else job.reject(new Error(`gzip worker failed: ${msg.error ?? 'unknown error'}`));
    });
    w.on('error', (error) => this.#failWorker(index, error));
    w.on('exit', (code) => {
      if (!this.#closed) this.#failWorker(index, new Error(`gzip worker exited with code ${code}`));
    });
    return w;
  }

  #failWorker(index: number, error: Error): void {
    for (const [id, w] of this.#owner) {
      if (w !== index) continue;
      this.#jobs.get(id)?.reject(error);
      this.#jobs.delete(id);
      this.#owner.delete(id);
    }
  }

  /** Gzips one block on the least busy worker; the block's memory is handed over and comes back as `reuse`. */
  gzip(block: Uint8Array, level: number): Promise<BlockResult> {
    if (this.#closed) return Promise.reject(new Error('GzipPool is closed'));
    let index = 0;
    for (let i = 0; i < this.size; i++) {
      if (this.#workers[i] === undefined) {
        this.#workers[i] = this.#spawn(i);
        this.#busy[i] = 0;
      }
      if ((this.#busy[i] ?? 0) < (this.#busy[index] ?? 0)) index = i;
    }
    const id = this.#nextId++;
    this.#busy[index] = (this.#busy[index] ?? 0) + 1;
    this.#owner.set(id, index);
    return new Promise((resolve, reject) => {
      this.#jobs.set(id, { resolve, reject });
      const whole = block.byteOffset === 0 && block.byteLength === block.buffer.byteLength;
      const data = whole ? block : block.slice();
      (this.#workers[index] as Worker).postMessage({ id, block: data, level }, [data.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    const ws = this.#workers;
    this.#workers = [];
    for (const job of this.#jobs.values()) job.reject(new Error('GzipPool closed'));
    this.#jobs.clear();
    await Promise.all(ws.map((w) => w.terminate()));
  }
}

export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}
