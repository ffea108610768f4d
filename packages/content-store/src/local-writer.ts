import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Algorithm,
  type Descriptor,
  type Digest,
  Digester,
  digestAlgorithm,
  LadingError,
} from '@lading/digest';
import type { FileLock } from './file-lock.js';
import type { CommitOptions, Expectation, IngestStatus, Writer } from './types.js';
import { checkExpectation, normalizeExpectation, requireLabels } from './validate.js';

const octetStream = 'application/octet-stream';

/** What a writer is given by `openWriter`: its open data file, its held lock, and how to commit. */
export interface LocalWriterInit {
  ref: string;
  dir: string;
  fh: FileHandle;
  lock: FileLock;
  hasher: Digester;
  startedAt: Date;
  expected: Expectation;
  chunkSize: number;
  refreshMs: number;
  commitTo(
    digest: Digest,
    dataPath: string,
    labels: Readonly<Record<string, string>> | undefined,
  ): Promise<void>;
  removeDir(dir: string): Promise<void>;
}

/** Hashes while writing: each chunk is handed to the kernel first, then hashed while the write runs in the pool. */
export class LocalWriter implements Writer {
  readonly ref: string;
  readonly #init: LocalWriterInit;
  #hasher: Digester;
  #offset: number;
  /** Writes handed to the kernel and not yet finished (callers may issue several without awaiting). */
  readonly #pending = new Set<Promise<void>>();
  #updatedAt = new Date();
  #done = false;
  #failed: unknown;
  #syncing: Promise<void> | undefined;
  #syncedAt = 0;

  constructor(init: LocalWriterInit) {
    this.ref = init.ref;
    this.#init = init;
    this.#hasher = init.hasher;
    this.#offset = init.hasher.size;
  }

  #live(): void {
    if (this.#done)
      throw new LadingError('WRITER_CLOSED', `writer for ingest ${JSON.stringify(this.ref)} is closed`);
    if (this.#failed !== undefined) throw this.#failed;
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.#live();
    const position = this.#offset;
    this.#offset += chunk.byteLength;
    const p = writeFully(this.#init.fh, chunk, position).catch((error: unknown) => {
      this.#failed ??= error;
      throw error;
    });
    this.#hasher.update(chunk);
    this.#flushBehind();
    this.#updatedAt = new Date();
    this.#init.lock.refresh(this.#init.refreshMs);
    this.#pending.add(p);
    try {
      await p;
    } finally {
      this.#pending.delete(p);
    }
  }

  /**
   * Starts writeback of what is written so far, in the background, every few MiB: the disk works while we hash, and
   * the fsync at commit only has the tail left to flush (and dirty pages never pile up in memory).
   */
  #flushBehind(): void {
    if (this.#syncing !== undefined || this.#offset - this.#syncedAt < flushBehindBytes) return;
    const upTo = this.#offset;
    this.#syncing = Promise.all([...this.#pending])
      .then(() => this.#init.fh.datasync())
      .then(
        () => {
          this.#syncedAt = upTo;
          this.#syncing = undefined;
        },
        () => {
          // A failed writeback is retried by the fsync at commit, which reports the error.
          this.#syncing = undefined;
        },
      );
  }

  async status(): Promise<IngestStatus> {
    const e = this.#init.expected;
    return {
      ref: this.ref,
      offset: this.#offset,
      ...(e.size === undefined ? {} : { total: e.size }),
      ...(e.digest === undefined ? {} : { expected: e.digest }),
      startedAt: this.#init.startedAt,
      updatedAt: this.#updatedAt,
    };
  }

  async commit(
    expected?: Expectation,
    options: CommitOptions = {},
  ): Promise<Descriptor & { readonly mediaType: string }> {
    this.#live();
    await Promise.all([...this.#pending]);
    await this.#syncing;
    if (this.#failed !== undefined) throw this.#failed;
    const want = { ...this.#init.expected, ...normalizeExpectation(expected) };
    if (options.labels) requireLabels(options.labels);
    this.#done = true;
    const { fh, dir } = this.#init;
    try {
      if (want.digest !== undefined && digestAlgorithm(want.digest) !== this.#hasher.algorithm) {
        this.#hasher = await hashFile(fh, digestAlgorithm(want.digest), this.#init.chunkSize);
      }
      const digest = this.#hasher.digest();
      const size = this.#hasher.size;
      checkExpectation({ digest, size }, want, this.ref);
      await this.#init.commitTo(digest, join(dir, 'data'), options.labels);
      return { mediaType: octetStream, digest, size };
    } finally {
      await fh.close().catch(() => {});
      this.#init.lock.forget();
      await this.#init.removeDir(dir);
    }
  }

  async abort(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    await Promise.allSettled([...this.#pending, this.#syncing]);
    await this.#init.fh.close().catch(() => {});
    this.#init.lock.forget();
    await this.#init.removeDir(this.#init.dir);
  }

  async close(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    await Promise.allSettled([...this.#pending, this.#syncing]);
    await this.#init.fh.close().catch(() => {});
    await this.#init.lock.release();
  }
}

const flushBehindBytes = 4 * 1024 * 1024;

async function writeFully(fh: FileHandle, chunk: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < chunk.byteLength) {
    const { bytesWritten } = await fh.write(chunk, done, chunk.byteLength - done, position + done);
    done += bytesWritten;
  }
}

/** Re-hashes what an interrupted ingest already wrote (and truncates nothing: every byte on disk counts). */
export async function hashFile(fh: FileHandle, alg: Algorithm, chunkSize: number): Promise<Digester> {
  const d = new Digester(alg);
  const buf = Buffer.allocUnsafe(chunkSize);
  let position = 0;
  for (;;) {
    const { bytesRead } = await fh.read(buf, 0, chunkSize, position);
    if (bytesRead === 0) break;
    d.update(buf.subarray(0, bytesRead));
    position += bytesRead;
  }
  return d;
}
