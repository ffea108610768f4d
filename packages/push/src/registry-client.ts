import { RegistryError, redactUrl } from '@lading/digest';
import { isLocalhost, registryApiHost } from '@lading/reference-store/reference';
import { Authorizer } from './authorizer.js';
import { type CredentialOptions, type Credentials, resolveCredentials } from './credentials.js';
import {
  type Agents,
  createAgents,
  discardBody,
  finalNetworkError,
  type HttpBody,
  type HttpResponse,
  header,
  isUnreachableCode,
  NetworkError,
  sendHttp,
  type TlsTrust,
} from './http.js';
import { checkDestination, type Destination } from './origins.js';
import { errorFromResponse } from './registry-errors.js';
import { type RetryOptions, withRetries } from './retry.js';

export interface RegistryClientOptions extends CredentialOptions {
  /** Allow plain HTTP and unverified TLS for this registry (skopeo's `--tls-verify=false`). */
  readonly insecure?: boolean;
  /** Force a scheme instead of HTTPS (with HTTP fallback only for insecure registries and localhost). */
  readonly scheme?: 'http' | 'https';
  readonly retry?: Omit<RetryOptions, 'signal'>;
  /** Idle timeout of a request in ms (no byte moving either way); default 60 000. */
  readonly timeoutMs?: number;
  /** Sockets per pool (default 16). */
  readonly maxSockets?: number;
  /** Extra CA certificates and a client certificate for this registry (e.g. from `readCertDir`). */
  readonly tls?: TlsTrust;
  readonly userAgent?: string;
  /** Called for every HTTP exchange with the registry (and token realm): counting, tracing. URLs are redacted. */
  readonly onRequest?: (event: RequestEvent) => void;
}

export interface RequestEvent {
  readonly method: string;
  readonly url: string;
  readonly status: number;
}

export interface RegistryRequest {
  readonly method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /**
   * A path under the registry (`/v2/...`) or an absolute URL (an upload Location). An absolute URL on another
   * origin gets no Authorization, and a 401 from it is not the registry's challenge.
   */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** A body, or a function that opens it again (what makes 401 retries possible for streams). */
  readonly body?: HttpBody | (() => HttpBody);
  readonly scopes: readonly string[];
  readonly signal?: AbortSignal;
  /** Follow 3xx for GET and HEAD (default true); Authorization never goes to another origin. */
  readonly followRedirects?: boolean;
  /** A GET of a large body read once (a blob): see `HttpRequest.rawBody`. */
  readonly rawBody?: boolean;
}

const maxRedirects = 5;

/**
 * One registry host: keep-alive pools, the scheme, auth state and tokens. Stateful, so a class; share one per
 * registry across pushes and pulls, and `close()` it at the end. Credentials go to the registry's own origin and
 * to the token realm its own challenge named, nowhere else (the README's "What is trusted, what is refused").
 */
export class RegistryClient {
  readonly registry: string;
  readonly options: RegistryClientOptions;
  readonly #agents: Agents;
  readonly #auth: Authorizer;
  #base: URL | undefined;
  #baseProbe: Promise<URL> | undefined;
  /** Origins that answered at least once: a host that never did is not retried when it cannot be reached. */
  readonly #reached = new Set<string>();

  constructor(registry: string, options: RegistryClientOptions = {}) {
    this.registry = registry;
    this.options = options;
    this.#agents = createAgents({
      ...(options.maxSockets !== undefined ? { maxSockets: options.maxSockets } : {}),
      ...(options.tls !== undefined ? { tls: options.tls } : {}),
    });
    this.#auth = new Authorizer(
      registry,
      () => resolveCredentials(registry, options),
      (req) => this.#send({ ...req, insecureTls: this.#insecureTls() }),
      (challengedAt, realm) => this.#checkDestination(challengedAt, realm, 'realm'),
    );
    if (options.scheme) this.#base = new URL(`${options.scheme}://${registryApiHost(registry)}`);
  }

  /** Whether plain HTTP may be tried: insecure registries, and localhost / 127.0.0.0/8 / ::1 as Docker allows. */
  get allowsHttp(): boolean {
    return this.options.insecure === true || isLocalhost(this.registry);
  }

  #insecureTls(): boolean {
    return this.options.insecure === true;
  }

  #checkDestination(from: URL, to: URL, what: Destination): void {
    checkDestination(from, to, what, { registry: this.registry, insecure: this.options.insecure === true });
  }

  get retryOptions(): Omit<RetryOptions, 'signal'> {
    return this.options.retry ?? {};
  }

  /** Runs `fn` with this client's retry policy. */
  retry<T>(fn: (attempt: number) => Promise<T>, signal?: AbortSignal): Promise<T> {
    return withRetries(fn, { ...this.retryOptions, ...(signal ? { signal } : {}) });
  }

  close(): void {
    this.#agents.destroy();
  }

  async #send(req: {
    method: string;
    url: URL;
    headers: Record<string, string>;
    body?: HttpBody;
    signal?: AbortSignal;
    insecureTls?: boolean;
    rawBody?: boolean;
  }): Promise<HttpResponse> {
    const headers = { 'user-agent': this.options.userAgent ?? 'lading', ...req.headers };
    let res: HttpResponse;
    try {
      res = await sendHttp(
        {
          method: req.method,
          url: req.url,
          headers,
          ...(req.body !== undefined ? { body: req.body } : {}),
          ...(req.signal ? { signal: req.signal } : {}),
          timeoutMs: this.options.timeoutMs ?? 60_000,
          insecureTls: req.insecureTls ?? false,
          ...(req.rawBody ? { rawBody: true } : {}),
        },
        this.#agents,
      );
    } catch (err) {
      // Refused or unknown at the first request is a mistake to report now, not a blip to wait out; once the host
      // has answered, the same failure is a restart or a network hiccup and stays retryable.
      if (err instanceof NetworkError && isUnreachableCode(err.code) && !this.#reached.has(req.url.origin))
        throw finalNetworkError(err);
      throw err;
    }
    this.#reached.add(req.url.origin);
    this.options.onRequest?.({ method: req.method, url: redactUrl(req.url.toString()), status: res.status });
    return res;
  }

  /**
   * The scheme, found once. Registries that may speak plain HTTP (insecure ones, localhost) are asked over HTTP
   * first, with the caller's own request as the probe (no extra round trip, no TLS setup on a plain port); a
   * TLS-only server shows itself by a broken exchange or Go's HTTP/1.0 400 "HTTP request to an HTTPS server",
   * and then HTTPS is used. Elsewhere HTTPS is the only scheme.
   */
  async #settledBase(): Promise<{ base: URL; probe: boolean }> {
    if (this.#base) return { base: this.#base, probe: false };
    if (!this.allowsHttp) {
      this.#base = new URL(`https://${registryApiHost(this.registry)}`);
      return { base: this.#base, probe: false };
    }
    while (this.#baseProbe) await this.#baseProbe.catch(() => {});
    if (this.#base) return { base: this.#base, probe: false };
    return { base: new URL(`http://${registryApiHost(this.registry)}`), probe: true };
  }

  async #baseUrl(signal: AbortSignal | undefined): Promise<URL> {
    if (this.#base) return this.#base;
    const { base, probe } = await this.#settledBase();
    if (!probe) return base;
    const res = await this.request({
      method: 'GET',
      path: '/v2/',
      scopes: [],
      ...(signal ? { signal } : {}),
    });
    discardBody(res);
    return this.#base ?? base;
  }

  /**
   * Sends a request with auth (answering 401 challenges) and manual redirects. Returns any status: the caller
   * decides what is success. Network failures throw `NetworkError` (retryable).
   */
  async request(req: RegistryRequest): Promise<HttpResponse> {
    const { base, probe } = await this.#settledBase();
    if (!probe) return this.#requestAt(base, req);
    const resendable =
      req.body === undefined || typeof req.body === 'function' || req.body instanceof Uint8Array;
    if (!resendable) {
      await this.#baseUrl(req.signal);
      return this.request(req);
    }
    let done!: () => void;
    this.#baseProbe = new Promise<URL>((resolve) => {
      done = () => resolve(this.#base ?? base);
    });
    try {
      try {
        const res = await this.#requestAt(base, req);
        if (!(res.status === 400 && res.body.httpVersion === '1.0')) {
          this.#base = base;
          return res;
        }
        discardBody(res);
      } catch (err) {
        // Refused or unreachable says nothing about the scheme: decide on a later try.
        if (!(err instanceof NetworkError) || isUnreachableCode(err.code)) throw err;
        // A broken exchange is ambiguous (a TLS-only server, or a flaky network): ask over HTTPS; a plain-HTTP
        // answer to the TLS handshake settles HTTP and the original (retryable) error stands.
        const https = new URL(`https://${registryApiHost(this.registry)}`);
        try {
          const res = await this.#requestAt(https, req);
          this.#base = https;
          return res;
        } catch (tlsErr) {
          if (tlsErr instanceof NetworkError && isPlainHttpAnswer(tlsErr)) {
            this.#base = base;
            throw err;
          }
          throw tlsErr;
        }
      }
      this.#base = new URL(`https://${registryApiHost(this.registry)}`);
      return await this.#requestAt(this.#base, req);
    } finally {
      this.#baseProbe = undefined;
      done();
    }
  }

  async #requestAt(base: URL, req: RegistryRequest): Promise<HttpResponse> {
    let url = new URL(req.path, base);
    // An absolute path is a Location the registry handed over: it may lead elsewhere, never down to plain HTTP.
    if (url.origin !== base.origin) this.#checkDestination(base, url, 'location');
    const openBody = (): HttpBody | undefined =>
      typeof req.body === 'function' ? req.body() : (req.body as HttpBody | undefined);
    const canResend =
      req.body === undefined || typeof req.body === 'function' || req.body instanceof Uint8Array;
    let authTries = 0;
    let redirects = 0;
    // Credentials belong to the registry's origin (scheme, host, port); once a request leaves it, for good.
    let trusted = url.origin === base.origin;
    for (;;) {
      const headers: Record<string, string> = { ...req.headers };
      if (trusted) {
        const auth = await this.#auth.authorization(req.scopes);
        if (auth) headers.authorization = auth;
      }
      const body = openBody();
      const res = await this.#send({
        method: req.method,
        url,
        headers,
        ...(body !== undefined ? { body } : {}),
        ...(req.signal ? { signal: req.signal } : {}),
        insecureTls: this.#insecureTls(),
        ...(req.rawBody ? { rawBody: true } : {}),
      });
      if (res.status === 401 && !trusted) {
        discardBody(res);
        throw new RegistryError(
          'FOREIGN_CHALLENGE',
          `${req.method} ${redactUrl(url.toString())} asked for credentials, but it is not the registry ` +
            `${this.registry}: lading sends credentials only to the registry and the token realm it names`,
          { status: 401, method: req.method, url: url.toString() },
        );
      }
      if (res.status === 401 && authTries < 2 && canResend) {
        authTries++;
        if (await this.#auth.unauthorized(res, req.scopes, headers.authorization)) continue;
        throw await errorFromResponse(res, `${req.method} on ${this.registry}`);
      }
      const location = header(res, 'location');
      if (
        res.status >= 300 &&
        res.status < 400 &&
        res.status !== 304 &&
        location &&
        (req.followRedirects ?? true) &&
        (req.method === 'GET' || req.method === 'HEAD')
      ) {
        discardBody(res);
        if (++redirects > maxRedirects) {
          throw new RegistryError(
            'TOO_MANY_REDIRECTS',
            `more than ${maxRedirects} redirects from ${redactUrl(url.toString())}`,
            {
              method: req.method,
              url: url.toString(),
            },
          );
        }
        const next = new URL(location, url);
        this.#checkDestination(url, next, 'redirect');
        if (next.origin !== base.origin) trusted = false;
        url = next;
        continue;
      }
      return res;
    }
  }

  /** The absolute URL for a path on this registry. */
  async resolveUrl(path: string, signal?: AbortSignal): Promise<URL> {
    return new URL(path, await this.#baseUrl(signal));
  }
}

/** OpenSSL's complaint when a TLS client gets a plain HTTP answer. */
function isPlainHttpAnswer(err: NetworkError): boolean {
  return (
    err.code === 'EPROTO' || /wrong version number|packet length too long|http request/i.test(err.message)
  );
}

export type { Credentials };
