// The small HTTP/1.1 client for blob GETs (src/raw-http.ts), against a server written here byte by byte: bodies
// arrive whole and in order into the caller's buffers, connections are kept alive and reused (or not, when the
// server closed them or spoke out of turn), what it does not speak goes over node:http, and failures are the
// NetworkErrors that sendHttp gives. Expected bytes are the server's own random bytes, compared whole.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type Agents, createAgents, type HttpResponse, NetworkError, sendHttp } from '../src/http.js';
import { isRawBody } from '../src/raw-http.js';

type Handler = (socket: Socket, request: string, index: number) => void;

interface TestServer {
  readonly url: (path: string) => URL;
  readonly connections: () => number;
  close(): Promise<void>;
}

/** A server that hands every request head (and its connection) to `handler`. */
async function serve(handler: Handler): Promise<TestServer> {
  let connections = 0;
  let index = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffered = '';
    socket.on('data', (d) => {
      buffered += d.toString('latin1');
      for (let end = buffered.indexOf('\r\n\r\n'); end >= 0; end = buffered.indexOf('\r\n\r\n')) {
        const head = buffered.slice(0, end);
        buffered = buffered.slice(end + 4);
        handler(socket, head, index++);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: (path) => new URL(`http://127.0.0.1:${port}${path}`),
    connections: () => connections,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

function head(status: number, headers: Record<string, string | number>): Buffer {
  const lines = [`HTTP/1.1 ${status} X`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), '', ''];
  return Buffer.from(lines.join('\r\n'), 'latin1');
}

/** Writes `bytes` in pieces of the given sizes (cycled), each on its own turn of the event loop. */
async function dribble(socket: Socket, bytes: Uint8Array, sizes: number[]): Promise<void> {
  let off = 0;
  for (let i = 0; off < bytes.byteLength; i++) {
    const n = sizes[i % sizes.length] as number;
    socket.write(bytes.subarray(off, off + n));
    off += n;
    await new Promise((r) => setImmediate(r));
  }
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let agents: Agents | undefined;
let server: TestServer | undefined;
afterEach(async () => {
  agents?.destroy();
  agents = undefined;
  await server?.close();
  server = undefined;
});

function get(path: string, extra: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<HttpResponse> {
  agents ??= createAgents();
  return sendHttp(
    {
      method: 'GET',
      url: (server as TestServer).url(path),
      headers: { accept: '*/*' },
      rawBody: true,
      ...extra,
    },
    agents,
  );
}

/** Pumps a body through `buffers` into a copy made only after each write has waited a little. */
async function pumpAll(res: HttpResponse, buffers: Buffer[], delayMs = 1): Promise<Buffer> {
  if (!isRawBody(res.body)) throw new Error('not a raw body');
  const parts: Buffer[] = [];
  await res.body.pump(buffers, async (chunk) => {
    await sleep(delayMs);
    // copied after the wait: a buffer refilled before its write resolved would show here
    parts.push(Buffer.from(chunk));
  });
  return Buffer.concat(parts);
}

describe('raw blob GET', () => {
  it('pumps a body into small buffers whole and in order, whatever the read sizes, and keeps the connection', async () => {
    const body = randomBytes(300_000);
    let request = '';
    server = await serve((socket, req) => {
      request = req;
      socket.write(Buffer.concat([head(200, { 'content-length': body.byteLength }), body.subarray(0, 100)]));
      void dribble(socket, body.subarray(100), [1, 7000, 65536, 3, 20000]);
    });
    const res = await get('/v2/a/blobs/sha256:x?q=1');
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe(String(body.byteLength));
    const got = await pumpAll(res, [Buffer.alloc(4096), Buffer.alloc(4096), Buffer.alloc(1000)]);
    expect(sha(got)).toBe(sha(body));
    expect(request.split('\r\n')[0]).toBe('GET /v2/a/blobs/sha256:x?q=1 HTTP/1.1');
    expect(request).toMatch(/\r\naccept: \*\/\*(\r\n|$)/);
    // a second GET goes over the same connection
    const again = await get('/v2/a/blobs/sha256:x');
    expect(sha(await pumpAll(again, [Buffer.alloc(65536), Buffer.alloc(65536)], 0))).toBe(sha(body));
    expect(server.connections()).toBe(1);
  });

  it('reads small bodies by iteration (error bodies, redirects) and drains them for the next request', async () => {
    server = await serve((socket, _req, i) => {
      const text = Buffer.from(i === 0 ? '{"errors":[{"code":"BLOB_UNKNOWN"}]}' : 'moved');
      socket.write(Buffer.concat([head(i === 0 ? 404 : 307, { 'content-length': text.byteLength }), text]));
    });
    const res = await get('/one');
    expect(res.status).toBe(404);
    const parts: Uint8Array[] = [];
    for await (const c of res.body) parts.push(c);
    expect(Buffer.concat(parts).toString()).toContain('BLOB_UNKNOWN');
    const moved = await get('/two');
    expect(moved.status).toBe(307);
    moved.body.resume();
    const third = await get('/three');
    expect(third.status).toBe(307);
    expect(server.connections()).toBe(1);
  });

  it('leaves a chunked body to node:http, which sends the GET again and decodes it', async () => {
    let requests = 0;
    server = await serve((socket) => {
      requests++;
      socket.write(
        Buffer.concat([
          head(200, { 'transfer-encoding': 'chunked' }),
          Buffer.from('5\r\nhello\r\n0\r\n\r\n'),
        ]),
      );
    });
    const res = await get('/chunked');
    expect(isRawBody(res.body)).toBe(false);
    const parts: Uint8Array[] = [];
    for await (const c of res.body) parts.push(c);
    expect(Buffer.concat(parts).toString()).toBe('hello');
    expect(requests).toBe(2);
  });

  it('sends the GET again on a fresh connection when the server closed the kept-alive one', async () => {
    const body = randomBytes(5000);
    server = await serve((socket) => {
      socket.end(Buffer.concat([head(200, { 'content-length': body.byteLength }), body]));
    });
    const first = await get('/a');
    expect(sha(await pumpAll(first, [Buffer.alloc(1024), Buffer.alloc(1024)]))).toBe(sha(body));
    await sleep(50);
    const second = await get('/b');
    expect(sha(await pumpAll(second, [Buffer.alloc(1024), Buffer.alloc(1024)]))).toBe(sha(body));
    expect(server.connections()).toBe(2);
  });

  it('does not use a connection again after the server sent bytes past the body', async () => {
    const body = randomBytes(2000);
    server = await serve((socket) => {
      socket.write(
        Buffer.concat([head(200, { 'content-length': body.byteLength }), body, Buffer.from('junk')]),
      );
    });
    expect(sha(await pumpAll(await get('/a'), [Buffer.alloc(512), Buffer.alloc(512)]))).toBe(sha(body));
    expect(sha(await pumpAll(await get('/b'), [Buffer.alloc(512), Buffer.alloc(512)]))).toBe(sha(body));
    expect(server.connections()).toBe(2);
  });

  it('opens a new connection after a response that says connection: close', async () => {
    const body = randomBytes(3000);
    server = await serve((socket) => {
      // says close, and leaves the socket open: only the header tells
      socket.write(
        Buffer.concat([head(200, { 'content-length': body.byteLength, connection: 'close' }), body]),
      );
    });
    expect(sha(await pumpAll(await get('/a'), [Buffer.alloc(1024), Buffer.alloc(1024)]))).toBe(sha(body));
    expect(sha(await pumpAll(await get('/b'), [Buffer.alloc(1024), Buffer.alloc(1024)]))).toBe(sha(body));
    expect(server.connections()).toBe(2);
  });

  it('fails a body cut short with a retryable NetworkError, a reset as node:http reports it', async () => {
    const body = randomBytes(50_000);
    server = await serve((socket) => {
      socket.write(head(200, { 'content-length': body.byteLength }));
      socket.end(body.subarray(0, 30_000));
    });
    const res = await get('/short');
    const err = await pumpAll(res, [Buffer.alloc(4096), Buffer.alloc(4096)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as NetworkError).retryable).toBe(true);
    expect((err as NetworkError).code).toBe('ECONNRESET');
    expect((err as NetworkError).message).toMatch(/reset by 127\.0\.0\.1/);
    expect(res.body.complete).toBe(false);
  });

  it('fails a stalled body with ETIMEDOUT, and an aborted one with the signal reason', async () => {
    server = await serve((socket) => {
      socket.write(Buffer.concat([head(200, { 'content-length': 10_000 }), Buffer.alloc(100)]));
    });
    const stalled = await get('/stall', { timeoutMs: 100 });
    const err = await pumpAll(stalled, [Buffer.alloc(4096), Buffer.alloc(4096)]).catch((e: unknown) => e);
    expect((err as NetworkError).code).toBe('ETIMEDOUT');

    const stop = new AbortController();
    const res = await get('/abort', { signal: stop.signal });
    const pumping = pumpAll(res, [Buffer.alloc(4096), Buffer.alloc(4096)]).catch((e: unknown) => e);
    await sleep(20);
    const reason = new Error('stop now');
    stop.abort(reason);
    expect(await pumping).toBe(reason);
  });

  it('stops the pump at the first failed write, after the writes in flight settled', async () => {
    const body = randomBytes(40_000);
    server = await serve((socket) => {
      socket.write(Buffer.concat([head(200, { 'content-length': body.byteLength }), body]));
    });
    const res = await get('/w');
    if (!isRawBody(res.body)) throw new Error('not a raw body');
    let writes = 0;
    const err = await res.body
      .pump([Buffer.alloc(4096), Buffer.alloc(4096)], async () => {
        if (++writes === 3) throw new Error('disk full');
        await sleep(1);
      })
      .catch((e: unknown) => e);
    expect((err as Error).message).toBe('disk full');
    expect(writes).toBe(3);
  });
});
