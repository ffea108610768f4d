import {
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import { RegistryError } from '@lading/digest';
import { withoutUserinfo } from './origins.js';
import { RawPool, rawGet } from './raw-http.js';
import { registryText } from './registry-text.js';

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
  /**
   * A GET whose body is large and read once (a blob): sent by the small client of `raw-http.ts`, whose body can
   * `pump` into the caller's buffers; when that client does not take the exchange, over `node:http` as any other.
   */
  readonly rawBody?: boolean;
}

/**
 * A response body: `node:http`'s IncomingMessage, or for a blob GET the small client's body (`raw-http.ts`), which
 * also has `pump`. Read it once (iterate it), or drop it (`resume`, `destroy`).
 */
export interface ResponseBody extends AsyncIterable<Uint8Array> {
  readonly httpVersion: string;
  /** Whether every byte of the body has arrived. */
  readonly complete: boolean;
  resume(): unknown;
  destroy(error?: Error): unknown;
}

export interface HttpResponse {
  readonly method: string;
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly url: URL;
  readonly body: ResponseBody | IncomingMessage;
}

/** Keep-alive connection pools, one pair per client. */
export interface Agents {
  readonly http: HttpAgent;
  readonly https: HttpsAgent;
  readonly httpsInsecure: HttpsAgent;
  /** The connections of the small client for blob GETs (`raw-http.ts`). */
  readonly raw: RawPool;
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
  const raw = new RawPool({
    ...(ca && ca.length > 0 ? { ca } : {}),
    ...(cert && key && cert.length > 0 ? { cert, key } : {}),
  });
  return {
    http,
    https,
    httpsInsecure,
    raw,
    destroy() {
      http.destroy();
      https.destroy();
      httpsInsecure.destroy();
      raw.destroy();
    },
  };
}

// TLS failures (OpenSSL's verify codes as Node names them, and ERR_TLS_*/ERR_SSL_*): a certificate that is not
// trusted now will not be trusted in a second either.
const tlsFailure = /^(ERR_TLS_|ERR_SSL_)|CERT|SELF_SIGNED|^UNABLE_TO_/;

/** Codes that say the host cannot be reached at all: worth a retry mid-transfer, never at the first request. */
const unreachable = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export function isTlsFailureCode(code: string): boolean {
  return tlsFailure.test(code);
}

export function isUnreachableCode(code: string): boolean {
  return unreachable.has(code);
}

/**
 * A network-level failure (refused, unknown host, reset, timeout, TLS): no HTTP status. A `RegistryError` (exit 5);
 * retryable unless it is a TLS failure, or the client decided the host was never reachable.
 */
export class NetworkError extends RegistryError {
  constructor(
    code: string,
    message: string,
    options: { cause?: unknown; retryable?: boolean; method?: string; url?: string } = {},
  ) {
    super(code, registryText(message, 600), {
      ...options,
      retryable: options.retryable ?? !isTlsFailureCode(code),
    });
  }
}

/** The same failure, final: the first request to a host that cannot be reached is not retried. */
export function finalNetworkError(err: NetworkError): NetworkError {
  return new NetworkError(err.code, err.message, {
    cause: err.cause,
    retryable: false,
    ...(err.method !== undefined ? { method: err.method } : {}),
    ...(err.url !== undefined ? { url: err.url } : {}),
  });
}

/**
 * Sends one HTTP request and resolves when the response head arrives. The body of the response is left to the
 * caller: read it (`readCapped`) or drop it (`discardBody`) so the connection goes back to the pool.
 */
export async function sendHttp(req: HttpRequest, agents: Agents): Promise<HttpResponse> {
  if (req.rawBody && req.method === 'GET' && req.body === undefined) {
    req.signal?.throwIfAborted();
    const url = withoutUserinfo(req.url);
    const res = await rawGet(
      agents.raw,
      {
        url,
        headers: req.headers,
        ...(req.signal ? { signal: req.signal } : {}),
        ...(req.timeoutMs !== undefined ? { timeoutMs: req.timeoutMs } : {}),
        ...(req.insecureTls ? { insecureTls: true } : {}),
      },
      (err) => toNetworkError(err, req),
    );
    if (res)
      return { method: req.method, status: res.status, headers: res.headers, url: req.url, body: res.body };
  }
  return sendNodeHttp(req, agents);
}

function sendNodeHttp(req: HttpRequest, agents: Agents): Promise<HttpResponse> {
  return new Promise<HttpResponse>((resolve, reject) => {
    req.signal?.throwIfAborted();
    // userinfo in a URL would become an Authorization header nobody chose
    const url = withoutUserinfo(req.url);
    const isHttps = url.protocol === 'https:';
    const headers: Record<string, string> = { ...req.headers };
    if (req.body instanceof Uint8Array) headers['content-length'] = String(req.body.byteLength);
    else if (req.body === undefined && methodMaySendBody(req.method)) headers['content-length'] ??= '0';
    const options = {
      method: req.method,
      headers,
      agent: isHttps ? (req.insecureTls ? agents.httpsInsecure : agents.https) : agents.http,
      ...(req.signal ? { signal: req.signal } : {}),
    };
    const cr = isHttps ? httpsRequest(url, options) : httpRequest(url, options);
    let settled = false;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      reject(toNetworkError(err, req));
    };
    cr.on('error', fail);
    if (req.timeoutMs !== undefined) {
      cr.setTimeout(req.timeoutMs, () => {
        cr.destroy(new NetworkError('ETIMEDOUT', `${where(req)}: no data for ${req.timeoutMs} ms`));
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
          res.destroy(
            new NetworkError('ETIMEDOUT', `${where(req)}: the response body stalled for ${req.timeoutMs} ms`),
          );
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

function where(req: HttpRequest): string {
  return `${req.method} ${req.url.origin}${req.url.pathname}`;
}

function toNetworkError(err: unknown, req: HttpRequest): unknown {
  // A cancelled request fails with the caller's reason, never as a (retryable) network error.
  if (req.signal?.aborted) return req.signal.reason;
  if (err instanceof NetworkError) return err;
  if (err instanceof Error && err.name === 'AbortError') return err;
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : 'ENETWORK';
  const detail = typeof e?.message === 'string' ? e.message : String(err);
  return new NetworkError(code, describeFailure(code, req, detail), {
    cause: err,
    method: req.method,
    url: req.url.toString(),
  });
}

/** One line that says which host, what happened and what to check. Never a query string or userinfo. */
function describeFailure(code: string, req: HttpRequest, detail: string): string {
  const host = req.url.host;
  if (code === 'ECONNREFUSED')
    return `cannot connect to ${host}: connection refused (is the registry running, and are the host and port right?)`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return `cannot resolve ${req.url.hostname}: unknown host (check the registry name and the DNS settings)`;
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH')
    return `cannot reach ${host}: no route to the host (check the network and any proxy in between)`;
  if (isTlsFailureCode(code))
    return (
      `TLS with ${host} failed: ${detail} (trust its CA with a certs.d directory or the tls option, ` +
      'or mark the registry insecure)'
    );
  if (code === 'ECONNRESET' || code === 'EPIPE') return `${where(req)}: the connection was reset by ${host}`;
  return `${where(req)}: ${detail}`;
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
