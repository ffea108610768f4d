import type { IncomingHttpHeaders } from 'node:http';
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions, rootCertificates, connect as tlsConnect } from 'node:tls';

/**
 * A small HTTP/1.1 client for the one exchange that moves most bytes, a blob GET: the socket reads straight into
 * the caller's large buffers (`net.Socket`'s `onread`), so a body is neither copied by the HTTP parser nor cut
 * into fresh 64 KiB allocations (`node:http` gives every read a new buffer and every body chunk a copy of it).
 * It speaks only what a blob GET needs: one request at a time per connection, keep-alive, a body framed by
 * `Content-Length`. Anything else (a chunked or close-delimited body, a malformed head, a header it would have to
 * refuse) makes it step aside (`undefined`), and the request goes out again over `node:http`, which is safe for a
 * GET. Timeouts, aborts and failures surface the way `sendHttp` reports them (the `fail` mapping it is given).
 */

/** Largest response head read (`node:http` refuses over 16 KiB by default; Go's client, 1 MiB). */
const maxHeadBytes = 64 * 1024;
/** Bytes a body drained for keep-alive may still have to come; more, and the connection is closed instead. */
const maxDrainBytes = 64 * 1024;
/** An idle keep-alive connection is closed after this long. */
const idleMs = 4_000;

export interface RawTls {
  readonly ca?: readonly string[];
  readonly cert?: readonly string[];
  readonly key?: readonly string[];
}

export interface RawRequest {
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
  readonly insecureTls?: boolean;
}

export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: RawBody;
}

/** Idle connections per origin, and every live one (destroyed by `destroy`). */
export class RawPool {
  readonly #idle = new Map<string, Conn[]>();
  readonly #live = new Set<Conn>();
  readonly #tls: RawTls;
  /** The last TLS session per origin, to resume (as https.Agent keeps them): a new connection skips a full handshake. */
  readonly sessions = new Map<string, Buffer>();
  #destroyed = false;

  constructor(tls: RawTls = {}) {
    this.#tls = tls;
  }

  take(url: URL, insecureTls: boolean): { conn: Conn; reused: boolean } {
    const key = poolKey(url, insecureTls);
    const idle = this.#idle.get(key);
    while (idle && idle.length > 0) {
      const conn = idle.pop() as Conn;
      if (!conn.socket.destroyed) {
        conn.wake();
        return { conn, reused: true };
      }
    }
    const conn = new Conn(this, key, url, insecureTls, this.#tls);
    this.#live.add(conn);
    return { conn, reused: false };
  }

  release(conn: Conn): void {
    if (this.#destroyed || conn.socket.destroyed) {
      conn.socket.destroy();
      return;
    }
    conn.sleep(idleMs);
    const list = this.#idle.get(conn.key) ?? [];
    this.#idle.set(conn.key, list);
    list.push(conn);
  }

  forget(conn: Conn): void {
    this.#live.delete(conn);
    const list = this.#idle.get(conn.key);
    const i = list ? list.indexOf(conn) : -1;
    if (list && i >= 0) list.splice(i, 1);
  }

  destroy(): void {
    this.#destroyed = true;
    for (const conn of this.#live) conn.socket.destroy();
    this.#live.clear();
    this.#idle.clear();
    this.sessions.clear();
  }
}

function poolKey(url: URL, insecureTls: boolean): string {
  return `${url.protocol}//${url.host}${url.protocol === 'https:' && insecureTls ? ' insecure' : ''}`;
}

function defaultPort(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

type ReadHandler = (n: number, buf: Uint8Array) => boolean;

/** One connection; what reads go into and who sees them changes with the phase of the exchange. */
class Conn {
  readonly socket: Socket;
  readonly key: string;
  readonly #pool: RawPool;
  /** Where the next read lands. */
  target: Uint8Array;
  /** Sees every read; returns false to pause the socket. */
  onRead: ReadHandler = () => false;
  /** The connection ended, failed or timed out (`err` unmapped, as the socket gives it). */
  onEnd: (err?: Error) => void = () => {};
  readonly scratch = Buffer.allocUnsafe(maxHeadBytes);
  timeoutMs = 0;

  constructor(pool: RawPool, key: string, url: URL, insecureTls: boolean, tls: RawTls) {
    this.#pool = pool;
    this.key = key;
    this.target = this.scratch;
    const onread = {
      buffer: () => this.target,
      callback: (n: number, buf: Uint8Array) => this.onRead(n, buf),
    };
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const port = defaultPort(url);
    if (url.protocol === 'https:') {
      // `onread` reaches the net.Socket under the TLS socket (Node's typings leave it out of tls.connect's options)
      const options: ConnectionOptions & { onread: typeof onread } = {
        host,
        port,
        ...(isIP(host) === 0 ? { servername: host } : {}),
        rejectUnauthorized: !insecureTls,
        // as createAgents: extra CAs come on top of the bundled roots
        ...(tls.ca && tls.ca.length > 0 ? { ca: [...rootCertificates, ...tls.ca] } : {}),
        ...(tls.cert && tls.key && tls.cert.length > 0 ? { cert: [...tls.cert], key: [...tls.key] } : {}),
        onread,
      };
      const session = pool.sessions.get(key);
      if (session) options.session = session;
      this.socket = tlsConnect(options);
      this.socket.on('session', (s: Buffer) => pool.sessions.set(key, s));
    } else {
      this.socket = netConnect({ host, port, onread });
    }
    this.socket.setNoDelay(true);
    this.socket.on('error', (err) => this.onEnd(err));
    this.socket.on('end', () => this.onEnd());
    this.socket.on('timeout', () => {
      const err = Object.assign(new Error(`no data for ${this.timeoutMs} ms`), { code: 'ETIMEDOUT' });
      this.socket.destroy(err);
    });
    this.socket.on('close', () => {
      this.onEnd();
      this.#pool.forget(this);
    });
  }

  /** Parks the connection in the pool: no exchange owns it, and data or a close only ends it. */
  sleep(ms: number): void {
    this.target = this.scratch;
    this.onRead = () => {
      this.socket.destroy();
      return false;
    };
    this.onEnd = () => this.socket.destroy();
    this.timeoutMs = ms;
    this.socket.setTimeout(ms);
    this.socket.unref();
  }

  wake(): void {
    this.socket.setTimeout(0);
    this.socket.ref();
  }

  release(): void {
    this.#pool.release(this);
  }
}

/** Header names whose repeats `node:http` drops (the first wins); `set-cookie` is a list; others join with ", ". */
const singleValued = new Set([
  'age',
  'authorization',
  'content-length',
  'content-type',
  'etag',
  'expires',
  'from',
  'host',
  'if-modified-since',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'referer',
  'retry-after',
  'server',
  'user-agent',
]);

const token = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const badValue = /[\r\n\0]/;

interface Head {
  readonly status: number;
  readonly httpVersion: string;
  readonly headers: IncomingHttpHeaders;
}

function parseHead(text: string): Head | undefined {
  const lines = text.split('\r\n');
  const m = /^HTTP\/(1\.[01]) (\d{3})(?: .*)?$/.exec(lines[0] ?? '');
  if (!m) return undefined;
  const headers: Record<string, string | string[]> = {};
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    const name = line.slice(0, colon).toLowerCase();
    if (!token.test(name)) return undefined;
    const value = line.slice(colon + 1).trim();
    const had = headers[name];
    if (name === 'set-cookie') headers[name] = [...((had as string[] | undefined) ?? []), value];
    else if (had === undefined) headers[name] = value;
    else if (!singleValued.has(name)) headers[name] = `${had as string}, ${value}`;
    else if (name === 'content-length' && had !== value) return undefined; // conflicting lengths: node:http refuses
  }
  return { status: Number(m[2]), httpVersion: m[1] as string, headers: headers as IncomingHttpHeaders };
}

/**
 * Sends a GET and resolves with the response head, or `undefined` when this client does not take the exchange
 * (see above). `fail` turns a socket failure into the caller's error.
 */
export async function rawGet(
  pool: RawPool,
  req: RawRequest,
  fail: (err: unknown) => unknown,
): Promise<RawResponse | undefined> {
  const path = `${req.url.pathname}${req.url.search}`;
  if (badValue.test(path) || path.includes(' ')) return undefined;
  const lines = [`GET ${path} HTTP/1.1`, `host: ${req.url.host}`];
  for (const [name, value] of Object.entries(req.headers)) {
    if (!token.test(name) || badValue.test(value)) return undefined;
    const lower = name.toLowerCase();
    if (lower === 'host' || lower === 'connection' || lower === 'content-length') continue;
    lines.push(`${name}: ${value}`);
  }
  lines.push('connection: keep-alive', '', '');
  const request = Buffer.from(lines.join('\r\n'), 'latin1');
  // A kept-alive connection the server closed meanwhile shows as a close before any byte: once more on a fresh
  // one (a GET may be sent again). A fresh connection that does the same is a reset like any other.
  for (;;) {
    const { conn, reused } = pool.take(req.url, req.insecureTls ?? false);
    try {
      return await exchange(conn, request, req, fail, reused);
    } catch (err) {
      if (err !== staleConnection) throw err;
    }
  }
}

const staleConnection = Symbol('stale connection');

function resetError(what: string): Error {
  return Object.assign(new Error(what), { code: 'ECONNRESET' });
}

function exchange(
  conn: Conn,
  request: Buffer,
  req: RawRequest,
  fail: (err: unknown) => unknown,
  reused: boolean,
): Promise<RawResponse | undefined> {
  return new Promise<RawResponse | undefined>((resolve, reject) => {
    const socket = conn.socket;
    let settled = false;
    let got = 0;
    let fill = 0;
    const signal = req.signal;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      f();
    };
    const onAbort = () => {
      socket.destroy();
      settle(() => reject(signal?.reason));
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    conn.timeoutMs = req.timeoutMs ?? 0;
    socket.setTimeout(req.timeoutMs ?? 0);
    conn.onEnd = (err?: Error) => {
      socket.destroy();
      if (signal?.aborted) return settle(() => reject(signal.reason));
      const code = (err as { code?: string } | undefined)?.code;
      if (reused && got === 0 && (err === undefined || code === 'ECONNRESET' || code === 'EPIPE'))
        return settle(() => reject(staleConnection));
      settle(() => reject(fail(err ?? resetError('socket hang up'))));
    };
    conn.target = conn.scratch;
    conn.onRead = (n) => {
      got += n;
      fill += n;
      const head = conn.scratch.subarray(0, fill);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (fill >= maxHeadBytes) {
          socket.destroy();
          settle(() => resolve(undefined));
          return false;
        }
        conn.target = conn.scratch.subarray(fill);
        return true;
      }
      const parsed = parseHead(head.subarray(0, end).toString('latin1'));
      const rest = Buffer.from(head.subarray(end + 4));
      if (parsed && parsed.status >= 100 && parsed.status < 200) {
        // an interim response (100 Continue, 103 Early Hints): the real one follows
        rest.copy(conn.scratch, 0);
        fill = rest.byteLength;
        conn.target = conn.scratch.subarray(fill);
        return conn.onRead(0, conn.scratch); // the next head may be here already
      }
      const length = parsed ? framing(parsed) : undefined;
      if (!parsed || length === undefined) {
        socket.destroy();
        settle(() => resolve(undefined));
        return false;
      }
      conn.target = conn.scratch;
      settle(() => {
        const body = new RawBody(conn, length, rest, parsed.httpVersion, signal, fail);
        // a server that says it closes is not asked again on this connection
        if (/(^|,)\s*close\s*(,|$)/i.test(String(parsed.headers.connection ?? ''))) body.lastOnConnection();
        resolve({ status: parsed.status, headers: parsed.headers, body });
      });
      return false;
    };
    socket.resume();
    socket.write(request);
  });
}

/** The body length a head announces, or undefined when it is not framed by Content-Length. */
function framing(head: Head): number | undefined {
  if (head.status === 204 || head.status === 304) return 0;
  if (head.headers['transfer-encoding'] !== undefined) return undefined;
  const length = head.headers['content-length'];
  if (typeof length !== 'string' || !/^\d{1,15}$/.test(length)) return undefined;
  if (head.httpVersion === '1.0') return undefined; // a 1.0 server closes: left to node:http
  return Number(length);
}

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
