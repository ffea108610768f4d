import { type Conn, resetError } from './raw-connection.js';

/** Bytes a body drained for keep-alive may still have to come; more, and the connection is closed instead. */
const maxDrainBytes = 64 * 1024;

/**
 * A response body framed by Content-Length. Read it once: as an async iterable of chunks (copies, for small
 * bodies), with `pump` (the socket fills the caller's buffers, for blobs), or drop it with `resume`/`destroy`.
 * The connection goes back to the pool once every byte of the body has been read and nothing more came.
 */
export class RawBody implements AsyncIterable<Uint8Array> {
  readonly httpVersion: string;
  readonly #conn: Conn;
  readonly #length: number;
  #received: number;
  #first: Buffer | undefined;
  #used = false;
  #failed: unknown;
  /** No more reads for this body: complete, failed or destroyed. */
  #done = false;
  #poisoned = false;
  readonly #signal: AbortSignal | undefined;
  readonly #fail: (err: unknown) => unknown;
  readonly #onAbort = () => this.#end();
  /** Whoever waits for the next read or for the end. */
  #wake: (() => void) | undefined;

  constructor(
    conn: Conn,
    length: number,
    first: Buffer,
    httpVersion: string,
    signal: AbortSignal | undefined,
    fail: (err: unknown) => unknown,
  ) {
    this.#conn = conn;
    this.#length = length;
    this.httpVersion = httpVersion;
    this.#signal = signal;
    this.#fail = fail;
    const take = Math.min(first.byteLength, length);
    this.#first = take > 0 ? first.subarray(0, take) : undefined;
    this.#received = take;
    // bytes past the body: the server speaks out of turn, so the connection is not used again
    if (first.byteLength > length) this.#poisoned = true;
    conn.onEnd = (err?: Error) => this.#end(err);
    signal?.addEventListener('abort', this.#onAbort, { once: true });
    if (this.#received === this.#length) this.#finish();
  }

  /** The connection closes after this body instead of going back to the pool. */
  lastOnConnection(): void {
    this.#poisoned = true;
    if (this.#done && this.#failed === undefined) this.#conn.socket.destroy();
  }

  /** Whether every byte of the body has arrived. */
  get complete(): boolean {
    return this.#received === this.#length && this.#failed === undefined;
  }

  #finish(): void {
    if (this.#done) return;
    this.#done = true;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    if (this.#poisoned) this.#conn.socket.destroy();
    else this.#conn.release();
  }

  /** The connection ended, failed, timed out or was aborted before the body was whole. */
  #end(err?: Error): void {
    if (this.#done) return;
    this.#done = true;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#conn.socket.destroy();
    this.#failed ??= this.#signal?.aborted
      ? this.#signal.reason
      : this.#fail(
          err ??
            resetError(`the connection closed after ${this.#received} of the ${this.#length} body bytes`),
        );
    this.#wake?.();
  }

  destroy(_err?: Error): void {
    if (this.#done) return;
    this.#done = true;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#failed ??= new Error('response body destroyed');
    this.#conn.socket.destroy();
    this.#wake?.();
  }

  /** Drops the body: drained (and the connection kept) when little of it is left, else the connection closes. */
  resume(): this {
    if (this.#done || this.#used) return this;
    this.#used = true;
    if (this.#length - this.#received > maxDrainBytes) {
      this.destroy();
      return this;
    }
    const conn = this.#conn;
    conn.target = conn.scratch;
    conn.onRead = (n) => {
      this.#take(n);
      return true;
    };
    conn.socket.resume();
    return this;
  }

  /** Counts the body bytes of an `n`-byte read (the connection is released at the last); returns them. */
  #take(n: number): number {
    const want = Math.min(n, this.#length - this.#received);
    this.#received += want;
    if (n > want) this.#poisoned = true;
    if (this.#received === this.#length) this.#finish();
    return want;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.#used) throw new Error('response body already read');
    this.#used = true;
    if (this.#first) {
      const first = this.#first;
      this.#first = undefined;
      yield first;
    }
    const queue: Buffer[] = [];
    const conn = this.#conn;
    conn.target = conn.scratch;
    conn.onRead = (n, buf) => {
      const want = this.#take(n);
      if (want > 0) queue.push(Buffer.from(buf.subarray(0, want)));
      this.#wake?.();
      // one read at a time, the consumer asks for the next; once the body is whole the pool owns the connection
      return this.#done;
    };
    for (;;) {
      const next = queue.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.#failed !== undefined) throw this.#failed;
      if (this.#received === this.#length) return;
      await new Promise<void>((wake) => {
        this.#wake = wake;
        conn.socket.resume();
      });
      this.#wake = undefined;
    }
  }

  /**
   * Reads the body straight into `buffers` (two or more, of any size), handing each filled buffer (the last one
   * maybe partly filled) to `write`, in order, one write at a time. A buffer is refilled only once its write has
   * resolved; meanwhile the socket waits (a read that still comes is kept aside and copied in later). Resolves when
   * the body is whole and every write has resolved; rejects with the first failure, after the writes settled.
   */
  pump(buffers: readonly Buffer[], write: (chunk: Buffer) => Promise<void>): Promise<void> {
    if (this.#used) return Promise.reject(new Error('response body already read'));
    this.#used = true;
    const conn = this.#conn;
    const busy = buffers.map(() => false);
    let cur = 0;
    let fill = 0;
    let chain: Promise<void> = Promise.resolve();
    const overflow: Buffer[] = [];
    /** Someone must call `drain` once the current buffer is free. */
    let waiting = false;
    let finished = false;
    return new Promise<void>((resolve, reject) => {
      const finish = (err?: unknown) => {
        if (finished) return;
        finished = true;
        this.#wake = undefined;
        if (err !== undefined) this.destroy();
        chain.then(
          () => (err === undefined ? resolve() : reject(err)),
          (writeErr: unknown) => reject(err ?? writeErr),
        );
      };
      const hand = () => {
        const i = cur;
        const chunk = (buffers[i] as Buffer).subarray(0, fill);
        busy[i] = true;
        chain = chain.then(() => write(chunk));
        chain.then(
          () => {
            busy[i] = false;
            if (waiting && i === cur && !finished) drain();
          },
          (err: unknown) => finish(err),
        );
        cur = (cur + 1) % buffers.length;
        fill = 0;
      };
      const complete = () => {
        if (fill > 0) hand();
        finish();
      };
      // moves what was kept aside into the free buffers; `waiting` when a buffer still being written is in the way
      const moveOverflow = () => {
        while (overflow.length > 0 && !busy[cur]) {
          const data = overflow[0] as Buffer;
          const buf = buffers[cur] as Buffer;
          const k = Math.min(data.byteLength, buf.byteLength - fill);
          buf.set(data.subarray(0, k), fill);
          fill += k;
          if (k === data.byteLength) overflow.shift();
          else overflow[0] = data.subarray(k);
          if (fill === buf.byteLength) hand();
        }
        waiting = busy[cur] as boolean;
      };
      // a buffer came free (or the pump starts): catch up, then let the socket read into the current buffer
      const drain = () => {
        moveOverflow();
        if (this.#failed !== undefined) return finish(this.#failed);
        if (waiting) return;
        if (this.#received === this.#length) return complete();
        conn.target = (buffers[cur] as Buffer).subarray(fill);
        conn.socket.resume();
      };
      this.#wake = () => {
        if (this.#failed !== undefined) finish(this.#failed);
      };
      // A read lands where the previous call aimed it: the current buffer, or the scratch when that was busy (or
      // when the pump had not started yet).
      conn.onRead = (n, buf) => {
        const want = this.#take(n);
        if (buf === conn.scratch) {
          // The read after a pause lands here (the socket took its next target when it paused): straight into
          // the current buffer when it is free, kept aside (a copy) only while the buffers are being written.
          let off = 0;
          if (!waiting && overflow.length === 0) {
            while (off < want && !busy[cur]) {
              const cb = buffers[cur] as Buffer;
              const k = Math.min(want - off, cb.byteLength - fill);
              cb.set(buf.subarray(off, off + k), fill);
              fill += k;
              off += k;
              if (fill === cb.byteLength) hand();
            }
          }
          if (off < want) overflow.push(Buffer.from(buf.subarray(off, want)));
        } else {
          fill += want;
          if (fill === (buffers[cur] as Buffer).byteLength) hand();
        }
        if (!waiting) moveOverflow();
        if (this.#done) {
          // the last byte came (and the pool owns the connection now), or the body failed
          if (!waiting) {
            if (this.#failed === undefined) complete();
            else finish(this.#failed);
          }
          return true;
        }
        if (waiting) {
          conn.target = conn.scratch;
          return false;
        }
        conn.target = (buffers[cur] as Buffer).subarray(fill);
        return true;
      };
      if (this.#first) {
        overflow.push(this.#first);
        this.#first = undefined;
      }
      drain();
    });
  }
}

export function isRawBody(body: unknown): body is RawBody {
  return body instanceof RawBody;
}
