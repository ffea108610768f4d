import {
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';

/** A request body: bytes, or a stream of bytes (sent chunk by chunk with backpressure, never gathered). */
export type HttpBody = Uint8Array | AsyncIterable<Uint8Array>;

export interface HttpRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: HttpBody;
  readonly signal?: AbortSignal;
  /** Idle time (no bytes either way) after which the request fails with code `ETIMEDOUT`. */
  readonly timeoutMs?: number;
  /** Skip TLS certificate verification (an `insecure` registry). */
  readonly insecureTls?: boolean;
}

export interface HttpResponse {
  readonly method: string;
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly url: URL;
  readonly body: IncomingMessage;
}

/** Keep-alive connection pools, one pair per client. */
export interface Agents {
  readonly http: HttpAgent;
  readonly https: HttpsAgent;
  readonly httpsInsecure: HttpsAgent;
  destroy(): void;
}

/** Extra TLS trust for one registry, as a containers `certs.d` directory gives it (see `readCertDir`). */
export interface TlsTrust {
  /** CA certificates (PEM) trusted on top of Node's bundled roots. */
  readonly ca?: readonly string[];
  /** Client certificates and their keys (PEM, in the same order), for registries that ask for one. */
  readonly cert?: readonly string[];
  readonly key?: readonly string[];
}

export function createAgents(options: { maxSockets?: number; tls?: TlsTrust } = {}): Agents {
  const common = { keepAlive: true, maxSockets: options.maxSockets ?? 16, scheduling: 'lifo' as const };
  const { ca, cert, key } = options.tls ?? {};
  const client = cert && key && cert.length > 0 ? { cert: [...cert], key: [...key] } : {};
  const http = new HttpAgent(common);
  // Giving `ca` replaces the default trust, so the bundled roots go in with the extra ones (Node 20 cannot list
  // NODE_EXTRA_CA_CERTS: with a cert dir, those are not trusted for this registry).
  const https = new HttpsAgent({
    ...common,
    ...client,
    ...(ca && ca.length > 0 ? { ca: [...rootCertificates, ...ca] } : {}),
  });
  const httpsInsecure = new HttpsAgent({ ...common, ...client, rejectUnauthorized: false });
  return {
    http,
    https,
    httpsInsecure,
    destroy() {
      http.destroy();
      https.destroy();
      httpsInsecure.destroy();
    },
  };
}

/** A network-level failure (reset, refused, timeout): no HTTP status, usually worth a retry. */
export class NetworkError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'NetworkError';
  }
}

/**
 * Sends one HTTP request and resolves when the response head arrives. The body of the response is left to the
 * caller: read it (`readBody`) or drop it (`discardBody`) so the connection goes back to the pool.
 */
export function sendHttp(req: HttpRequest, agents: Agents): Promise<HttpResponse> {
  return new Promise<HttpResponse>((resolve, reject) => {
    req.signal?.throwIfAborted();
    const isHttps = req.url.protocol === 'https:';
    const headers: Record<string, string> = { ...req.headers };
    if (req.body instanceof Uint8Array) headers['content-length'] = String(req.body.byteLength);
    else if (req.body === undefined && methodMaySendBody(req.method)) headers['content-length'] ??= '0';
    const options = {
      method: req.method,
      headers,
      agent: isHttps ? (req.insecureTls ? agents.httpsInsecure : agents.https) : agents.http,
      ...(req.signal ? { signal: req.signal } : {}),
    };
    const cr = isHttps ? httpsRequest(req.url, options) : httpRequest(req.url, options);
    let settled = false;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      reject(toNetworkError(err, req));
    };
    cr.on('error', fail);
    if (req.timeoutMs !== undefined) {
      cr.setTimeout(req.timeoutMs, () => {
        cr.destroy(new NetworkError('ETIMEDOUT', `no data for ${req.timeoutMs} ms`));
      });
    }
    cr.on('response', (res) => {
      if (settled) {
        res.resume();
        return;
      }
      settled = true;
      // The idle timeout keeps guarding while the caller reads the body.
      if (req.timeoutMs !== undefined) {
        res.setTimeout(req.timeoutMs, () => {
          res.destroy(new NetworkError('ETIMEDOUT', `response body stalled for ${req.timeoutMs} ms`));
        });
      }
      resolve({
        method: req.method,
        status: res.statusCode ?? 0,
        headers: res.headers,
        url: req.url,
        body: res,
      });
    });
    const body = req.body;
    if (body === undefined) {
      cr.end();
    } else if (body instanceof Uint8Array) {
      cr.end(body);
    } else {
      writeStreaming(cr, body).catch((err) => {
        // The source failed (a missing file, an abort): its own error, not a retryable network one.
        if (!settled) {
          settled = true;
          reject(req.signal?.aborted ? req.signal.reason : err);
        }
        cr.destroy();
      });
    }
  });
}

function methodMaySendBody(method: string): boolean {
  return method === 'PUT' || method === 'POST' || method === 'PATCH';
}

async function writeStreaming(
  cr: import('node:http').ClientRequest,
  body: AsyncIterable<Uint8Array>,
): Promise<void> {
  for await (const chunk of body) {
    if (cr.destroyed) return;
    if (!cr.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          cr.off('drain', done);
          cr.off('close', done);
          resolve();
        };
        cr.on('drain', done);
        cr.on('close', done);
      });
    }
  }
  if (!cr.destroyed) cr.end();
}

function toNetworkError(err: unknown, req: HttpRequest): unknown {
  // A cancelled request fails with the caller's reason, never as a (retryable) network error.
  if (req.signal?.aborted) return req.signal.reason;
  if (err instanceof NetworkError) return err;
  if (err instanceof Error && err.name === 'AbortError') return err;
  const e = err as { code?: string; message?: string };
  const code = typeof e?.code === 'string' ? e.code : 'ENETWORK';
  const where = `${req.method} ${req.url.origin}${req.url.pathname}`;
  return new NetworkError(code, `${where}: ${e?.message ?? String(err)}`, { cause: err });
}

/** Reads a response body up to `maxBytes` (a capped read: manifests, tokens, error bodies). */
export async function readBody(res: HttpResponse, maxBytes: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    n += chunk.byteLength;
    if (n > maxBytes) {
      res.body.destroy();
      throw new NetworkError(
        'EBODYTOOLARGE',
        `response body of ${res.url.pathname} exceeds ${maxBytes} bytes`,
      );
    }
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

/** Drops a response body; small ones are drained so the socket is reused, others close the connection. */
export function discardBody(res: HttpResponse): void {
  const len = Number(res.headers['content-length'] ?? Number.NaN);
  if (res.method === 'HEAD' || res.status === 204 || res.status === 304) res.body.resume();
  else if (Number.isFinite(len) && len <= 64 * 1024) res.body.resume();
  else if (res.body.complete) res.body.resume();
  else res.body.destroy();
}

export function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
