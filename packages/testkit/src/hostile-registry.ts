import {
  Agent,
  createServer as createHttpServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

/** One request as the hostile server saw it: every header, credentials included (it is a test server). */
export interface HostileRequest {
  readonly method: string;
  /** Path and query as sent. */
  readonly url: string;
  readonly path: string;
  readonly headers: Readonly<IncomingHttpHeaders>;
  /** The status answered (0 until the head is written, or when the connection was cut first). */
  status: number;
  /** Response body bytes the server wrote: for endless bodies, how far the client let it go. */
  bytesSent: number;
}

/** What a route handler gets: the exchange, its log entry, and ways to misbehave. */
export interface HostileExchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly entry: HostileRequest;
  /** The request body, read whole (test bodies are small). */
  body(): Promise<Buffer>;
  /** Answers a status, headers and an optional body. */
  send(status: number, headers?: OutgoingHttpHeaders, body?: string | Uint8Array): void;
  json(status: number, value: unknown, headers?: OutgoingHttpHeaders): void;
  /** 401 with this `WWW-Authenticate` value. */
  challenge(wwwAuthenticate: string): void;
  redirect(location: string, status?: number): void;
  /**
   * Writes `chunk` again and again (with backpressure) until the client goes away or `limitBytes` were written;
   * the head is whatever `headers` says (a lying Content-Length, or none).
   */
  endless(
    status: number,
    headers: OutgoingHttpHeaders,
    options?: { chunk?: Uint8Array; limitBytes?: number },
  ): Promise<void>;
  /** Sends `body` a few bytes at a time, `intervalMs` apart. */
  drip(
    status: number,
    headers: OutgoingHttpHeaders,
    body: Uint8Array,
    options: { chunkBytes: number; intervalMs: number },
  ): Promise<void>;
  /**
   * Passes the request to the upstream registry (keeping the client's Host, so its Locations point back here), and
   * its answer back, after `rewrite` had a look at the answer's headers. `authorization` replaces the client's.
   */
  forward(options?: {
    rewrite?: (headers: IncomingHttpHeaders, status: number) => void;
    authorization?: string;
  }): Promise<void>;
}

export type HostileHandler = (exchange: HostileExchange) => void | Promise<void>;

export interface HostileRegistryOptions {
  /** Serve HTTPS with this certificate and key (PEM); plain HTTP by default. */
  readonly tls?: { readonly cert: string; readonly key: string };
  /** The real registry that `forward()` talks to. */
  readonly upstream?: { readonly host: string; readonly port: number };
  /** Header added to every forwarded request (the foreign server authenticating itself, as a backend would). */
  readonly upstreamAuthorization?: string;
  /** Listen address (default 127.0.0.1). */
  readonly address?: string;
  /** Listen port (default: a free one); a given port lets a test stop a server and bring it back. */
  readonly port?: number;
}

export interface HostileRegistry {
  /** `ADDRESS:PORT`, to use as a registry name. */
  readonly host: string;
  readonly port: number;
  /** `http://ADDRESS:PORT` or `https://ADDRESS:PORT`. */
  readonly origin: string;
  /** Every request, in arrival order. */
  readonly requests: HostileRequest[];
  /**
   * Adds a route; the most recently added match wins. `method` `*` matches any; a string path matches exactly
   * (without the query), a RegExp is tested against the path.
   */
  on(method: string, path: string | RegExp, handler: HostileHandler): void;
  /** Drops every route and the request log. Unmatched requests are forwarded (with an upstream) or get 404. */
  reset(): void;
  stop(): Promise<void>;
}

interface Route {
  readonly method: string;
  readonly path: string | RegExp;
  readonly handler: HostileHandler;
}

/**
 * A small programmable registry for what a real one never does: Locations on another origin, lying sizes, endless
 * bodies, foreign challenges, slow drips, redirects. Each route answers by hand; the rest can go to a real registry.
 */
export async function startHostileRegistry(options: HostileRegistryOptions = {}): Promise<HostileRegistry> {
  let routes: Route[] = [];
  const requests: HostileRequest[] = [];
  const sockets = new Set<Socket>();
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const path = url.split('?')[0] ?? '/';
    const entry: HostileRequest = {
      method: req.method ?? '',
      url,
      path,
      headers: { ...req.headers },
      status: 0,
      bytesSent: 0,
    };
    requests.push(entry);
    const head = res.writeHead.bind(res);
    res.writeHead = ((status: number, ...rest: unknown[]) => {
      entry.status = status;
      return (head as (...a: unknown[]) => ServerResponse)(status, ...rest);
    }) as typeof res.writeHead;
    const write = res.write.bind(res) as (chunk: unknown, ...rest: unknown[]) => boolean;
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (typeof chunk === 'string' || chunk instanceof Uint8Array)
        entry.bytesSent += Buffer.byteLength(chunk);
      return write(chunk, ...rest);
    }) as typeof res.write;
    const exchange = makeExchange(req, res, entry, options, agent);
    const route = routes.find(
      (r) =>
        (r.method === '*' || r.method === req.method) &&
        (typeof r.path === 'string' ? r.path === path : r.path.test(path)),
    );
    try {
      if (route) await route.handler(exchange);
      else if (options.upstream) await exchange.forward();
      else exchange.json(404, { errors: [{ code: 'NOT_FOUND', message: 'no route' }] });
    } catch {
      if (!res.headersSent) exchange.send(500, {}, 'handler failed');
      else res.destroy();
    }
  };

  const listener = (req: IncomingMessage, res: ServerResponse) => void handle(req, res);
  const server: Server = options.tls
    ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, listener)
    : createHttpServer(listener);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // a TLS client that gives up on the certificate shows up here: not the test's business
  server.on('tlsClientError', () => {});
  const address = options.address ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, address, resolve));
  const port = (server.address() as AddressInfo).port;
  const host = address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
  return {
    host,
    port,
    origin: `${options.tls ? 'https' : 'http'}://${host}`,
    requests,
    on(method, path, handler) {
      routes = [{ method, path, handler }, ...routes];
    },
    reset() {
      routes = [];
      requests.length = 0;
    },
    async stop() {
      for (const s of sockets) s.destroy();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function makeExchange(
  req: IncomingMessage,
  res: ServerResponse,
  entry: HostileRequest,
  options: HostileRegistryOptions,
  agent: Agent,
): HostileExchange {
  let bodyRead: Promise<Buffer> | undefined;
  const body = () => {
    bodyRead ??= (async () => {
      const parts: Buffer[] = [];
      for await (const chunk of req as AsyncIterable<Buffer>) parts.push(chunk);
      return Buffer.concat(parts);
    })();
    return bodyRead;
  };
  const send: HostileExchange['send'] = (status, headers = {}, payload) => {
    if (!bodyRead) req.resume();
    const bytes = payload === undefined ? undefined : Buffer.from(payload);
    res.writeHead(status, { 'content-length': String(bytes?.byteLength ?? 0), ...headers });
    if (bytes && req.method !== 'HEAD') res.write(bytes);
    res.end();
  };
  const untilDrained = () =>
    new Promise<boolean>((resolve) => {
      const done = (ok: boolean) => {
        res.off('drain', onDrain);
        res.off('close', onClose);
        resolve(ok);
      };
      const onDrain = () => done(true);
      const onClose = () => done(false);
      res.on('drain', onDrain);
      res.on('close', onClose);
    });
  return {
    req,
    res,
    entry,
    body,
    send,
    json(status, value, headers = {}) {
      send(status, { 'content-type': 'application/json', ...headers }, JSON.stringify(value));
    },
    challenge(wwwAuthenticate) {
      send(
        401,
        { 'content-type': 'application/json', 'www-authenticate': wwwAuthenticate },
        '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}',
      );
    },
    redirect(location, status = 307) {
      send(status, { location });
    },
    async endless(status, headers, opts = {}) {
      req.resume();
      const chunk = Buffer.from(opts.chunk ?? new Uint8Array(64 * 1024).fill(0x7b));
      const limit = opts.limitBytes ?? Number.POSITIVE_INFINITY;
      res.writeHead(status, headers);
      let open = true;
      res.on('close', () => {
        open = false;
      });
      while (open && entry.bytesSent < limit) {
        const piece = chunk.subarray(0, Math.min(chunk.byteLength, limit - entry.bytesSent));
        if (!res.write(piece) && !(await untilDrained())) break;
      }
      if (open) res.end();
    },
    async drip(status, headers, payload, { chunkBytes, intervalMs }) {
      req.resume();
      res.writeHead(status, headers);
      for (let i = 0; i < payload.byteLength && !res.destroyed; i += chunkBytes) {
        res.write(payload.subarray(i, i + chunkBytes));
        await new Promise((r) => setTimeout(r, intervalMs));
      }
      if (!res.destroyed) res.end();
    },
    forward(opts = {}) {
      const upstream = options.upstream;
      if (!upstream) {
        send(502, {}, 'no upstream');
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        const headers: IncomingHttpHeaders = { ...req.headers };
        const authorization = opts.authorization ?? options.upstreamAuthorization;
        if (authorization !== undefined) headers.authorization = authorization;
        const up = request({
          host: upstream.host,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers,
          agent,
        });
        up.on('error', () => {
          res.destroy();
          resolve();
        });
        up.on('response', (ur) => {
          const answer = { ...ur.headers };
          opts.rewrite?.(answer, ur.statusCode ?? 502);
          res.writeHead(ur.statusCode ?? 502, answer);
          ur.pipe(res);
          ur.on('end', () => resolve());
          ur.on('error', () => resolve());
        });
        req.pipe(up);
      });
    },
  };
}
