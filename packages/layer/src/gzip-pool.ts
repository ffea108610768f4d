import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { BlockResult } from './block-pipeline.js';

// The worker is inline CommonJS so it runs the same from dist/ and from sources under a test runner.
const workerSource = `
const { parentPort } = require('node:worker_threads');
const zlib = require('node:zlib');
parentPort.on('message', ({ block, level, memLevel }) => {
  try {
    // One output buffer big enough for the whole member (deflate never grows data by more than ~0.1% + header),
    // handed back with the input block: nothing is left here for the collector.
    const out = zlib.gzipSync(block, {
      level,
      memLevel,
      chunkSize: block.byteLength + (block.byteLength >> 6) + 1024,
    });
    const transfer = [out.buffer];
    if (block.buffer !== out.buffer) transfer.push(block.buffer);
    parentPort.postMessage({ out, block }, transfer);
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.message || error) });
  }
});
`;

interface Job {
  readonly block: Uint8Array;
  readonly level: number;
  readonly memLevel: number;
  resolve: (result: BlockResult) => void;
  reject: (e: Error) => void;
}

/**
 * Worker threads that gzip independent blocks. Each block becomes one complete gzip member (header, deflate data,
 * CRC and size); members written one after another are one valid gzip stream (RFC 1952 section 2.2). The bytes of a
 * member depend only on the block and the settings, so the output is the same for any number of workers. Blocks wait
 * in one queue and go to whichever worker is free first, so no worker idles while a block waits.
 */
export class GzipPool {
  readonly size: number;
  #workers: (Worker | undefined)[] = [];
  /** The job each worker is on (undefined: free). */
  #running: (Job | undefined)[] = [];
  #queue: Job[] = [];
  #closed = false;

  constructor(size = defaultWorkers()) {
    this.size = Math.max(1, Math.floor(size));
  }

  #spawn(index: number): Worker {
    const w = new Worker(workerSource, { eval: true });
    w.unref();
    w.on('message', (msg: { out?: Uint8Array; block?: Uint8Array; error?: string }) => {
      const job = this.#running[index];
      this.#running[index] = undefined;
      if (job) {
        if (msg.out) job.resolve(msg.block ? { out: msg.out, reuse: msg.block } : { out: msg.out });
        else job.reject(new Error(`gzip worker failed: ${msg.error ?? 'unknown error'}`));
      }
      this.#dispatch();
    });
    w.on('error', (error) => this.#failWorker(index, w, error));
    w.on('exit', (code) => {
      if (!this.#closed) this.#failWorker(index, w, new Error(`gzip worker exited with code ${code}`));
    });
    return w;
  }

  #failWorker(index: number, w: Worker, error: Error): void {
    // 'error' and then 'exit' come for the same worker: the second finds it already replaced.
    if (this.#workers[index] !== w) return;
    const job = this.#running[index];
    this.#running[index] = undefined;
    this.#workers[index] = undefined;
    job?.reject(error);
    // Queued blocks go to the other workers, or to a fresh one.
    this.#dispatch();
  }

  #dispatch(): void {
    for (let i = 0; i < this.size && this.#queue.length > 0; i++) {
      if (this.#running[i] !== undefined) continue;
      const worker = this.#workers[i] ?? this.#spawn(i);
      this.#workers[i] = worker;
      const job = this.#queue.shift() as Job;
      this.#running[i] = job;
      const b = job.block;
      const whole = b.byteOffset === 0 && b.byteLength === b.buffer.byteLength;
      const data = whole ? b : b.slice();
      worker.postMessage({ block: data, level: job.level, memLevel: job.memLevel }, [
        data.buffer as ArrayBuffer,
      ]);
    }
  }

  /**
   * Gzips one block on the first free worker; the block's memory is handed over and comes back as `reuse`.
   * `memLevel` is zlib's (1-9, default 8): 9 is faster on real trees for a slightly larger member.
   */
  gzip(block: Uint8Array, level: number, memLevel = 8): Promise<BlockResult> {
    if (this.#closed) return Promise.reject(new Error('GzipPool is closed'));
    return new Promise((resolve, reject) => {
      this.#queue.push({ block, level, memLevel, resolve, reject });
      this.#dispatch();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    const ws = this.#workers;
    this.#workers = [];
    for (const job of [...this.#running, ...this.#queue]) job?.reject(new Error('GzipPool closed'));
    this.#running = [];
    this.#queue = [];
    await Promise.all(ws.map((w) => w?.terminate()));
  }
}

export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}
