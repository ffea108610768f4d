import { Agent, createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What the proxy does to one request. */
export type Fault =
  | { readonly kind: 'pass' }
  /** Answer this status at once (the request is not forwarded); 429 carries `Retry-After`. */
  | { readonly kind: 'status'; readonly status: number; readonly retryAfter?: string }
  /** Forward, but cut both connections after this many request-body bytes reached the registry. */
  | { readonly kind: 'drop-request'; readonly afterBytes: number }
  /** Forward, then cut the client connection after this many response-body bytes (0: before the status line, so
   * the registry acted but the client never hears of it). */
  | { readonly kind: 'drop-response'; readonly afterBytes: number }
  /** Read the request, never answer; close after `ms`. */
  | { readonly kind: 'stall'; readonly ms: number }
  /** Forward, and add these headers to the answer (e.g. `OCI-Chunk-Min-Length`). */
  | { readonly kind: 'add-headers'; readonly headers: Readonly<Record<string, string>> }
  /** Forward, and turn an absolute `Location` in the answer into a relative one (path and query). */
  | { readonly kind: 'relative-location' }
  /** Answer 307 to this absolute URL (e.g. another host serving the blob). */
  | { readonly kind: 'redirect'; readonly location: string };

export interface ProxiedRequest {
  readonly method: string;
  readonly path: string;
  readonly fault: Fault['kind'];
  /** The status the client received (0 when the connection was cut or stalled). */
  status: number;
  readonly authorization: boolean;
}

export interface FaultProxy {
  /** `127.0.0.1:PORT`: use as the registry host. */
  readonly host: string;
  readonly port: number;
  readonly requests: ProxiedRequest[];
  /** Replace the fault policy. */
  setPolicy(policy: (req: IncomingMessage, index: number) => Fault): void;
  stop(): Promise<void>;
}

/**
 * An HTTP reverse proxy between a client and a registry that injects faults chosen per request by a policy. The
 * Host header is passed through so the registry's Location headers point back at the proxy.
 */
export async function startFaultProxy(
  upstream: { host: string; port: number },
  policy: (req: IncomingMessage, index: number) => Fault = () => ({ kind: 'pass' }),
): Promise<FaultProxy> {
  let choose = policy;
  const requests: ProxiedRequest[] = [];
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const index = requests.length;
    const fault = choose(req, index);
    const entry: ProxiedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      fault: fault.kind,
      status: 0,
      authorization: req.headers.authorization !== undefined,
    };
    requests.push(entry);
    const cut = () => {
      req.socket.destroy();
    };
    if (fault.kind === 'status') {
      entry.status = fault.status;
      const headers: Record<string, string> = { 'content-type': 'application/json', connection: 'close' };
      if (fault.status === 429) headers['retry-after'] = fault.retryAfter ?? '0';
      res.writeHead(fault.status, headers);
      res.end('{"errors":[{"code":"UNAVAILABLE","message":"injected fault"}]}');
      req.resume();
      return;
    }
    if (fault.kind === 'redirect') {
      entry.status = 307;
      req.resume();
      res.writeHead(307, { location: fault.location, 'content-length': '0' }).end();
      return;
    }
    if (fault.kind === 'stall') {
      req.resume();
      const t = setTimeout(() => {
        timers.delete(t);
        cut();
      }, fault.ms);
      timers.add(t);
      return;
    }
    const up = request({
      host: upstream.host,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: req.headers,
      agent,
    });
    up.on('error', () => cut());
    up.on('response', (ur) => {
      if (fault.kind === 'drop-response' && fault.afterBytes === 0) {
        ur.resume();
        cut();
        return;
      }
      entry.status = ur.statusCode ?? 0;
      if (fault.kind === 'relative-location' && typeof ur.headers.location === 'string') {
        const loc = new URL(ur.headers.location, 'http://placeholder');
        ur.headers.location = `${loc.pathname}${loc.search}`;
      }
      if (fault.kind === 'add-headers') {
        for (const [k, v] of Object.entries(fault.headers)) ur.headers[k.toLowerCase()] = v;
      }
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      if (fault.kind === 'drop-response') {
        let n = 0;
        ur.on('data', (chunk: Buffer) => {
          if (n + chunk.byteLength >= fault.afterBytes) {
            res.write(chunk.subarray(0, Math.max(0, fault.afterBytes - n)));
            entry.status = 0;
            ur.destroy();
            cut();
            return;
          }
          n += chunk.byteLength;
          res.write(chunk);
        });
        ur.on('end', () => res.end());
      } else {
        ur.pipe(res);
      }
    });
    if (fault.kind === 'drop-request') {
      let n = 0;
      req.on('data', (chunk: Buffer) => {
        if (n + chunk.byteLength >= fault.afterBytes) {
          up.write(chunk.subarray(0, Math.max(0, fault.afterBytes - n)));
          n = fault.afterBytes;
          up.destroy();
          cut();
          return;
        }
        n += chunk.byteLength;
        up.write(chunk);
      });
      req.on('end', () => {
        if (n < fault.afterBytes) up.end();
      });
    } else {
      req.pipe(up);
    }
  };

  const server = createServer(handler);
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    port,
    requests,
    setPolicy(p) {
      choose = p;
    },
    async stop() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
