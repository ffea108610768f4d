import { isIP, connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions, rootCertificates, connect as tlsConnect } from 'node:tls';

// The connections of the blob GET client (`raw-http.ts`): a pool of keep-alive sockets per origin, each read
// going where the exchange in progress says.

/** An idle keep-alive connection is closed after this long. */
const idleMs = 4_000;
/** Largest response head read (`node:http` refuses over 16 KiB by default; Go's client, 1 MiB). */
export const maxHeadBytes = 64 * 1024;

/** The error a connection that closed too early gives, as `node:http` names it. */
export function resetError(what: string): Error {
  return Object.assign(new Error(what), { code: 'ECONNRESET' });
}

export interface RawTls {
  readonly ca?: readonly string[];
  readonly cert?: readonly string[];
  readonly key?: readonly string[];
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

export type ReadHandler = (n: number, buf: Uint8Array) => boolean;

/** One connection; what reads go into and who sees them changes with the phase of the exchange. */
export class Conn {
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
