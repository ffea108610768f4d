import {
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { EngineEndpoint } from './endpoint.js';
import { EngineError } from './errors.js';

export interface EngineRequest {
  readonly method: 'GET' | 'HEAD' | 'POST' | 'DELETE' | 'PUT';
  /** The path after the host, versioned by the caller (`/v1.41/images/json`) or not (`/_ping`). */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | undefined>>;
  readonly headers?: Readonly<Record<string, string>>;
  /** A small body, or a stream sent with chunked encoding as it is produced (backpressure honoured). */
  readonly body?: Uint8Array | AsyncIterable<Uint8Array>;
  readonly signal?: AbortSignal;
  /** Give up when the connection is silent this long (none by default: a load may take minutes). */
  readonly idleTimeoutMs?: number;
}

export interface EngineResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: IncomingMessage;
}

const unreachableCodes = new Set([
  'ENOENT',
  'ECONNREFUSED',
  'EACCES',
  'EPERM',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTSOCK',
  'EPROTO',
]);

function isTlsFailure(code: string): boolean {
  return (
    code.startsWith('ERR_TLS') ||
    code.startsWith('ERR_SSL') ||
    code.startsWith('CERT_') ||
    code.includes('SELF_SIGNED') ||
    code.startsWith('UNABLE_TO_') ||
    code === 'HOSTNAME_MISMATCH'
  );
}

/** What went wrong reaching the daemon, and what to check, in one line. */
function reachHint(endpoint: EngineEndpoint, code: string, message: string): string {
  const path = endpoint.kind === 'unix' ? endpoint.socketPath : `${endpoint.host}:${endpoint.port}`;
  switch (code) {
    case 'ENOENT':
      return `no socket at ${path} (is the Docker daemon running?)`;
    case 'ECONNREFUSED':
      return `connection refused at ${path} (is the Docker daemon running?)`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied on ${path}: check the socket's permissions (the docker group)`;
    case 'ENOTSOCK':
      return `${path} is not a socket`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host ${endpoint.kind === 'tcp' ? endpoint.host : path} not found`;
    case 'ETIMEDOUT':
      return `no answer from ${path} in time`;
    default:
      if (isTlsFailure(code) || code === 'EPROTO') {
        return `TLS failed (${message}): check DOCKER_CERT_PATH and DOCKER_TLS_VERIFY`;
      }
      return message;
  }
}

/** A connection failure as an EngineError that names the address tried, where it came from, and what to check. */
export function connectionError(endpoint: EngineEndpoint, error: NodeJS.ErrnoException): EngineError {
  const code = String(error.code ?? '');
  const hint = reachHint(endpoint, code, error.message);
  if (unreachableCodes.has(code) || isTlsFailure(code)) {
    return new EngineError(
      'ENGINE_UNREACHABLE',
      `cannot reach the Docker Engine at ${endpoint.address} (${endpoint.source}): ${hint}; check DOCKER_HOST, the docker context, or the socket's permissions`,
      { address: endpoint.address, cause: error },
    );
  }
  return new EngineError(
    'ENGINE_CONNECTION_FAILED',
    `the connection to the Docker Engine at ${endpoint.address} failed: ${hint}`,
    { address: endpoint.address, cause: error },
  );
}

function queryString(query: EngineRequest['query']): string {
  if (query === undefined) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, v);
  const s = params.toString();
  return s === '' ? '' : `?${s}`;
}

/**
 * HTTP to one daemon over a unix socket or TCP (TLS when the endpoint says so), on keep-alive connections. It
 * knows nothing of the API: versions, JSON and errors are the client's.
 */
export class EngineTransport {
  readonly endpoint: EngineEndpoint;
  readonly #agent: HttpAgent;

  constructor(endpoint: EngineEndpoint) {
    this.endpoint = endpoint;
    const tls = endpoint.kind === 'tcp' ? endpoint.tls : undefined;
    this.#agent = tls
      ? new HttpsAgent({
          keepAlive: true,
          rejectUnauthorized: tls.verify,
          ...(tls.ca ? { ca: Buffer.from(tls.ca) } : {}),
          ...(tls.cert ? { cert: Buffer.from(tls.cert) } : {}),
          ...(tls.key ? { key: Buffer.from(tls.key) } : {}),
        })
      : new HttpAgent({ keepAlive: true });
  }

  request(req: EngineRequest): Promise<EngineResponse> {
    const endpoint = this.endpoint;
    const tls = endpoint.kind === 'tcp' && endpoint.tls !== undefined;
    const send = tls ? httpsRequest : httpRequest;
    const path = `${endpoint.kind === 'tcp' ? endpoint.basePath : ''}${req.path}${queryString(req.query)}`;
    // No TLS, no server name: without `servername: ''` Node's agent works one out for every request, and its first
    // IPv6 check compiles a large regular expression (about 10 ms of a warm export).
    const target =
      endpoint.kind === 'unix'
        ? { socketPath: endpoint.socketPath, host: 'docker', servername: '' }
        : { host: endpoint.host, port: endpoint.port, ...(tls ? {} : { servername: '' }) };
    const headers: Record<string, string> = { 'User-Agent': 'lading', ...req.headers };
    if (req.body instanceof Uint8Array) headers['Content-Length'] = String(req.body.byteLength);
    return new Promise<EngineResponse>((resolve, reject) => {
      let answered = false;
      let bodyFailure: unknown;
      const r = send({
        ...target,
        method: req.method,
        path,
        headers,
        agent: this.#agent,
        ...(req.signal ? { signal: req.signal } : {}),
      });
      if (req.idleTimeoutMs !== undefined) {
        r.setTimeout(req.idleTimeoutMs, () => {
          r.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' }));
        });
      }
      r.on('response', (res) => {
        answered = true;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res });
      });
      r.on('error', (error: NodeJS.ErrnoException) => {
        if (answered) return;
        if (bodyFailure !== undefined) reject(bodyFailure);
        else if (error.name === 'AbortError') reject(req.signal?.reason ?? error);
        else reject(connectionError(endpoint, error));
      });
      if (req.body === undefined || req.body instanceof Uint8Array) {
        r.end(req.body);
        return;
      }
      const source = Readable.from(req.body, { objectMode: false, highWaterMark: 1 << 20 });
      source.on('error', (error) => {
        bodyFailure ??= error;
      });
      // A body that fails (a short blob, a store error) aborts the request with its own error; a daemon that
      // answers before reading everything (an early refusal) wins over the broken pipe that follows.
      pipeline(source, r).catch((error: unknown) => {
        if (!answered) r.destroy(error as Error);
      });
    });
  }

  /** Closes idle connections; requests in flight finish. */
  close(): void {
    this.#agent.destroy();
  }
}
