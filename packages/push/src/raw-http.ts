import type { IncomingHttpHeaders } from 'node:http';
import { RawBody } from './raw-body.js';
import { type Conn, maxHeadBytes, type RawPool, resetError } from './raw-connection.js';
import { badValue, framing, parseHead, token } from './raw-response-head.js';

/**
 * A small HTTP/1.1 client for the one exchange that moves most bytes, a blob GET: the socket reads straight into
 * the caller's large buffers (`net.Socket`'s `onread`), so a body is neither copied by the HTTP parser nor cut
 * into fresh 64 KiB allocations (`node:http` gives every read a new buffer and every body chunk a copy of it).
 * It speaks only what a blob GET needs: one request at a time per connection, keep-alive, a body framed by
 * `Content-Length`. Anything else (a chunked or close-delimited body, a malformed head, a header it would have to
 * refuse) makes it step aside (`undefined`), and the request goes out again over `node:http`, which is safe for a
 * GET. Timeouts, aborts and failures surface the way `sendHttp` reports them (the `fail` mapping it is given).
 */

export { isRawBody, RawBody } from './raw-body.js';
export { RawPool, type RawTls } from './raw-connection.js';

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
