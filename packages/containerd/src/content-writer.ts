import type { CommitOptions, Expectation, IngestStatus, Writer } from '@lading/content-store';
import { type Descriptor, type Digest, IntegrityError, LadingError } from '@lading/digest';
import { isAlreadyExistsError, isNotFoundError } from './errors.js';
import { Methods } from './proto/methods.js';
import { timestampToDate } from './timestamps.js';
import type { BidiCall, Message, Scope, Transport } from './transport.js';
import { requireDigest, requireLabels, requireSha256, requireSize } from './validate.js';

// content.proto's WriteAction.
const Stat = 0;
const WriteAction = 1;
const Commit = 2;

/** Bytes per Write message (containerd's own client copies in 1 MiB buffers; its server takes up to 16 MiB). */
const messageBytes = 1024 * 1024;
/** Bytes sent but not yet acknowledged: enough to keep the socket busy, little enough to keep memory flat. */
const window = 8 * messageBytes;

const octetStream = 'application/octet-stream';

export interface OpenWriterOptions {
  readonly ref: string;
  readonly scope: Scope;
  readonly expected: Expectation;
  /**
   * Send the expected digest with the first message. containerd then answers AlreadyExists when the namespace holds
   * the blob, and shares one that another namespace holds (the ingest then reports the whole size at once). Only for
   * callers that honour `status().offset`.
   */
  readonly announce?: boolean;
  readonly signal?: AbortSignal;
  /**
   * Takes in a blob that turned out to exist already: adds it to the writer's lease (containerd does that only for
   * content it commits) and applies the commit's labels.
   */
  readonly adoptExisting: (
    digest: Digest,
    labels: Readonly<Record<string, string>> | undefined,
  ) => Promise<void>;
}

interface Waiter {
  readonly kind: 'stat' | 'write' | 'commit';
  /** For writes: the offset the server must report after this message. */
  readonly offset: number;
  readonly bytes: number;
  resolve(message: Message): void;
  reject(error: Error): void;
}

/**
 * A writer over one `Content.Write` stream, as containerd's content/proxy remoteWriter speaks it: a STAT opens the
 * ingest (and holds its lock for the life of the stream), WRITEs carry their offset, COMMIT names the expected size
 * and digest. Unlike the proxy, writes are pipelined (up to 8 MiB unacknowledged) instead of one round trip per
 * buffer. Closing the stream without a commit keeps the ingest: a writer opened later with the same ref resumes at
 * the offset containerd reports. Nothing is content before the commit succeeds.
 */
export class ContentWriter implements Writer {
  readonly ref: string;
  readonly #transport: Transport;
  readonly #call: BidiCall;
  readonly #options: OpenWriterOptions;
  readonly #waiters: Waiter[] = [];
  #expected: Expectation;
  #queue: Promise<void> = Promise.resolve();
  #sent = 0;
  #acked = 0;
  #inFlight = 0;
  #needDrain = false;
  #digest: string = '';
  #total = 0;
  #startedAt = new Date(0);
  #updatedAt = new Date(0);
  #failure: Error | undefined;
  #done = false;
  #ackListeners: (() => void)[] = [];

  private constructor(transport: Transport, call: BidiCall, options: OpenWriterOptions) {
    this.ref = options.ref;
    this.#transport = transport;
    this.#call = call;
    this.#options = options;
    this.#expected = options.expected;
    call.onMessage((m) => this.#onMessage(m));
    call.finished.then(
      () => this.#fail(new LadingError('WRITER_CLOSED', `containerd closed the write stream of ${this.ref}`)),
      (error: Error) => this.#fail(error),
    );
  }

  /** Opens the stream and the ingest; resolves once containerd reported where the ingest stands. */
  static async open(transport: Transport, options: OpenWriterOptions): Promise<ContentWriter> {
    const call = transport.bidi(Methods.content.write, options.scope, `write ${options.ref}`, {
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const writer = new ContentWriter(transport, call, options);
    const first = writer.#expect('stat', 0, 0);
    call.write({
      action: Stat,
      ref: options.ref,
      total: options.expected.size ?? 0,
      expected: options.announce ? (options.expected.digest ?? '') : '',
    });
    try {
      await first;
    } catch (error) {
      writer.#done = true;
      call.cancel();
      throw error;
    }
    writer.#sent = writer.#acked;
    return writer;
  }

  #onMessage(m: Message): void {
    const waiter = this.#waiters.shift();
    // After the stream ends the server sends its last response once more: nobody waits for it.
    if (!waiter) return;
    const offset = Number(m.offset ?? 0);
    this.#acked = offset;
    if (typeof m.digest === 'string' && m.digest !== '') this.#digest = m.digest;
    if (Number(m.total ?? 0) > 0) this.#total = Number(m.total);
    if (m.startedAt) this.#startedAt = timestampToDate(m.startedAt);
    if (m.updatedAt) this.#updatedAt = timestampToDate(m.updatedAt);
    if (waiter.kind === 'write') {
      this.#inFlight -= waiter.bytes;
      if (offset !== waiter.offset) {
        const error = new IntegrityError(
          'CONTAINERD_SHORT_WRITE',
          `containerd took ingest ${this.ref} to offset ${offset}, expected ${waiter.offset}`,
        );
        waiter.reject(error);
        this.#fail(error);
        this.#call.cancel();
        return;
      }
    }
    waiter.resolve(m);
    const listeners = this.#ackListeners;
    this.#ackListeners = [];
    for (const l of listeners) l();
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const w of this.#waiters.splice(0)) w.reject(this.#failure);
    const listeners = this.#ackListeners;
    this.#ackListeners = [];
    for (const l of listeners) l();
  }

  #expect(kind: Waiter['kind'], offset: number, bytes: number): Promise<Message> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise<Message>((resolve, reject) => {
      this.#waiters.push({ kind, offset, bytes, resolve, reject });
    });
  }

  #live(): void {
    if (this.#done)
      throw new LadingError('WRITER_CLOSED', `writer for ingest ${JSON.stringify(this.ref)} is closed`);
    if (this.#failure) throw this.#failure;
  }

  #nextAck(): Promise<void> {
    return new Promise((resolve) => this.#ackListeners.push(resolve));
  }

  async #send(message: object): Promise<void> {
    if (this.#needDrain) {
      await this.#call.drain();
      this.#needDrain = false;
    }
    this.#needDrain = !this.#call.write(message);
  }

  /** The next write starts the ingest over (containerd truncates an ingest when a write names offset 0). */
  rewind(): void {
    if (this.#waiters.length > 0 || this.#inFlight > 0)
      throw new LadingError('WRITER_BUSY', `ingest ${this.ref}: rewind with writes in flight`);
    this.#sent = 0;
  }

  write(chunk: Uint8Array): Promise<void> {
    const run = this.#queue.then(() => this.#writeNow(chunk));
    this.#queue = run.catch(() => {});
    return run;
  }

  async #writeNow(chunk: Uint8Array): Promise<void> {
    this.#live();
    for (let at = 0; at < chunk.byteLength; at += messageBytes) {
      const piece = chunk.subarray(at, Math.min(at + messageBytes, chunk.byteLength));
      while (this.#inFlight >= window) {
        await this.#nextAck();
        this.#live();
      }
      const offset = this.#sent;
      this.#sent += piece.byteLength;
      this.#inFlight += piece.byteLength;
      this.#expect('write', this.#sent, piece.byteLength).catch(() => {});
      // The message is encoded (copied) here: the caller may reuse its buffer as soon as this resolves.
      await this.#send({ action: WriteAction, offset, data: piece });
    }
  }

  async #settled(): Promise<void> {
    await this.#queue;
    this.#live();
    while (this.#waiters.length > 0) {
      await this.#nextAck();
      this.#live();
    }
  }

  async status(): Promise<IngestStatus> {
    await this.#queue;
    this.#live();
    const answer = this.#expect('stat', 0, 0);
    await this.#send({ action: Stat, ref: this.ref });
    await answer;
    return this.#status();
  }

  #status(): IngestStatus {
    const total = this.#expected.size ?? (this.#total > 0 ? this.#total : undefined);
    return {
      ref: this.ref,
      offset: this.#acked,
      ...(total !== undefined ? { total } : {}),
      ...(this.#expected.digest !== undefined ? { expected: this.#expected.digest } : {}),
      startedAt: this.#startedAt,
      updatedAt: this.#updatedAt,
    };
  }

  async commit(
    expected?: Expectation,
    options: CommitOptions = {},
  ): Promise<Descriptor & { readonly mediaType: string }> {
    const want = { ...this.#expected, ...normalizeExpectation(expected) };
    if (options.labels) requireLabels(options.labels);
    await this.#settled();
    const size = this.#acked;
    // Checked here against what containerd hashed (it re-hashes a resumed ingest), so a mismatch never reaches
    // a commit and the ingest is discarded, as lading's stores do.
    if (want.size !== undefined && want.size !== size) {
      await this.abort();
      throw new IntegrityError(
        'SIZE_MISMATCH',
        `ingest ${JSON.stringify(this.ref)} has ${size} bytes, expected ${want.size}`,
        {
          expected: String(want.size),
          actual: String(size),
        },
      );
    }
    if (want.digest !== undefined && this.#digest !== want.digest) {
      await this.abort();
      throw new IntegrityError(
        'DIGEST_MISMATCH',
        `ingest ${JSON.stringify(this.ref)} has digest ${this.#digest}, expected ${want.digest}`,
        { expected: want.digest, actual: this.#digest },
      );
    }
    const answer = this.#expect('commit', 0, 0);
    await this.#send({
      action: Commit,
      ref: this.ref,
      // The offset too: a COMMIT (like a WRITE) naming offset 0 makes containerd truncate the ingest first.
      offset: size,
      total: size,
      expected: want.digest ?? '',
      ...(options.labels ? { labels: withoutEmpty(options.labels) } : {}),
    });
    let digest: Digest;
    try {
      const m = await answer;
      await this.#call.finished;
      digest = requireDigest(m.digest || this.#digest);
    } catch (error) {
      this.#done = true;
      if (!isAlreadyExistsError(error) || want.digest === undefined) {
        await this.#discard().catch(() => {});
        throw error;
      }
      // Someone committed the same digest first: content addressing makes that success (the server dropped our
      // ingest already).
      digest = want.digest;
      await this.#options.adoptExisting(digest, options.labels);
    }
    this.#done = true;
    return { mediaType: octetStream, digest, size };
  }

  async abort(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    this.#call.end();
    await this.#call.finished.catch(() => {});
    await this.#discard();
  }

  async #discard(): Promise<void> {
    try {
      await this.#transport.unary(
        Methods.content.abort,
        { ref: this.ref },
        this.#options.scope,
        `abort ${this.ref}`,
      );
    } catch (error) {
      if (!isNotFoundError(error)) throw error;
    }
  }

  async close(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    await this.#queue;
    this.#call.end();
    // The ingest's lock is released when the server's handler returns: wait for the end of the call.
    await this.#call.finished.catch(() => {});
  }
}

export function normalizeExpectation(e: Expectation | undefined): Expectation {
  if (e === undefined) return {};
  const out: { digest?: Digest; size?: number } = {};
  if (e.digest !== undefined)
    out.digest = requireSha256(requireDigest(e.digest, 'expected digest'), 'expected digest');
  if (e.size !== undefined) out.size = requireSize(e.size, 'expected size');
  return out;
}

export function withoutEmpty(labels: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (v !== '') out[k] = v;
  return out;
}
