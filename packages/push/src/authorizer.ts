import { RegistryError, redactUrl } from '@lading/digest';
import { caps, readCapped, responseTooLarge } from './caps.js';
import type { Credentials } from './credentials.js';
import { discardBody, type HttpResponse, header } from './http.js';
import { parseWwwAuthenticate } from './www-authenticate.js';

interface Challenge {
  readonly scheme: 'basic' | 'bearer';
  readonly realm?: URL;
  readonly service?: string;
}

interface CachedToken {
  readonly token: string;
  readonly expiresAt: number;
}

/** Sends a token request (GET or POST) to the realm: a plain HTTP exchange through the client's pools. */
export type TokenTransport = (req: {
  method: 'GET' | 'POST';
  url: URL;
  headers: Record<string, string>;
  body?: Uint8Array;
}) => Promise<HttpResponse>;

/** `repository:NAME:ACTIONS` */
export function repositoryScope(repository: string, actions: 'pull' | 'push' | 'pull,push'): string {
  return `repository:${repository}:${actions}`;
}

/** Checks a token realm the registry named before anything is sent there (no step down to plain HTTP). */
export type RealmCheck = (challengedAt: URL, realm: URL) => void;

/**
 * Holds what a registry asked for (Basic or Bearer), credentials, and bearer tokens cached per scope set. Tokens are
 * refreshed shortly before they expire and after a 401, one refresh per scope set at a time (as containerd's docker
 * authorizer does, `remotes/docker/authorizer.go`). The client only hands it 401s from the registry's own origin:
 * a challenge from anywhere else never reaches it. Nothing here ever puts a secret in an error message.
 */
export class Authorizer {
  readonly #registry: string;
  readonly #credentials: () => Promise<Credentials | undefined>;
  readonly #transport: TokenTransport;
  readonly #checkRealm: RealmCheck;
  #challenge: Challenge | undefined;
  readonly #tokens = new Map<string, CachedToken>();
  readonly #pending = new Map<string, Promise<CachedToken>>();
  #creds: Promise<Credentials | undefined> | undefined;

  constructor(
    registry: string,
    credentials: () => Promise<Credentials | undefined>,
    transport: TokenTransport,
    checkRealm: RealmCheck,
  ) {
    this.#registry = registry;
    this.#credentials = credentials;
    this.#transport = transport;
    this.#checkRealm = checkRealm;
  }

  #getCredentials(): Promise<Credentials | undefined> {
    this.#creds ??= this.#credentials();
    return this.#creds;
  }

  /** The Authorization header for a request needing these scopes, or undefined (anonymous, or not challenged yet). */
  async authorization(scopes: readonly string[]): Promise<string | undefined> {
    const ch = this.#challenge;
    if (ch === undefined) return undefined;
    const creds = await this.#getCredentials();
    if (creds?.registryToken) return `Bearer ${creds.registryToken}`;
    if (ch.scheme === 'basic') {
      if (!creds?.username && creds?.password === undefined) return undefined;
      return `Basic ${Buffer.from(`${creds.username ?? ''}:${creds.password ?? ''}`).toString('base64')}`;
    }
    const token = await this.#token(scopes);
    return token ? `Bearer ${token.token}` : undefined;
  }

  /**
   * Learns from a 401 of the registry's own origin: records the challenge and, when the token that was sent is still
   * the one held for these scopes, drops it (a request that failed with an older token leaves a newer one alone, so
   * concurrent refusals cause one refresh). Returns whether asking again can help: always when nothing was sent
   * (now we know what to send), and for Bearer when a token was sent (it may have expired or lacked a scope); never
   * after Basic credentials were refused. The body is discarded.
   */
  async unauthorized(
    res: HttpResponse,
    scopes: readonly string[],
    sentAuthorization: string | undefined,
  ): Promise<boolean> {
    discardBody(res);
    const raw = header(res, 'www-authenticate');
    const challenges = raw ? parseWwwAuthenticate(raw) : [];
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const basic = challenges.find((c) => c.scheme === 'basic');
    const creds = await this.#getCredentials();
    if (bearer?.params.realm) {
      const realm = this.#parseRealm(bearer.params.realm, res.url);
      const service = bearer.params.service;
      const previous = this.#challenge;
      // another realm or service: every token held was issued for something else
      if (previous?.realm?.href !== realm.href || previous?.service !== service) this.#tokens.clear();
      this.#challenge = { scheme: 'bearer', realm, ...(service !== undefined ? { service } : {}) };
      if (sentAuthorization !== undefined) {
        const key = scopeKey(scopes);
        const held = this.#tokens.get(key);
        if (held && `Bearer ${held.token}` === sentAuthorization) this.#tokens.delete(key);
      }
      return true;
    }
    if (basic) {
      this.#challenge = { scheme: 'basic' };
      return sentAuthorization === undefined && creds !== undefined;
    }
    return false;
  }

  #parseRealm(value: string, challengedAt: URL): URL {
    let realm: URL;
    try {
      realm = new URL(value);
    } catch (err) {
      throw new RegistryError(
        'BAD_CHALLENGE',
        `registry ${this.#registry} named a token realm that is not a URL; it cannot be asked for a token`,
        { cause: err, status: 401, url: redactUrl(challengedAt.toString()) },
      );
    }
    this.#checkRealm(challengedAt, realm);
    return realm;
  }

  async #token(scopes: readonly string[]): Promise<CachedToken | undefined> {
    const key = scopeKey(scopes);
    const cached = this.#tokens.get(key);
    if (cached && cached.expiresAt > Date.now()) return cached;
    let pending = this.#pending.get(key);
    if (!pending) {
      pending = this.#fetchToken(scopes).finally(() => this.#pending.delete(key));
      this.#pending.set(key, pending);
    }
    const token = await pending;
    this.#tokens.set(key, token);
    return token;
  }

  async #fetchToken(scopes: readonly string[]): Promise<CachedToken> {
    const ch = this.#challenge;
    if (!ch?.realm) {
      throw new RegistryError('TOKEN_ERROR', `registry ${this.#registry} asked for no token realm`);
    }
    const creds = await this.#getCredentials();
    const realm = ch.realm;
    const shown = redactUrl(realm.toString());
    let res: HttpResponse;
    if (creds?.identityToken) {
      // OAuth2 refresh-token grant, as Docker does with an identity token.
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: creds.identityToken,
        client_id: 'lading',
        ...(ch.service !== undefined ? { service: ch.service } : {}),
        scope: scopes.join(' '),
      });
      res = await this.#transport({
        method: 'POST',
        url: realm,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new TextEncoder().encode(form.toString()),
      });
    } else {
      const url = new URL(realm);
      if (ch.service !== undefined) url.searchParams.set('service', ch.service);
      for (const s of scopes) url.searchParams.append('scope', s);
      const headers: Record<string, string> = {};
      if (creds?.username !== undefined || creds?.password !== undefined) {
        headers.authorization = `Basic ${Buffer.from(`${creds.username ?? ''}:${creds.password ?? ''}`).toString('base64')}`;
      }
      res = await this.#transport({ method: 'GET', url, headers });
    }
    if (res.status !== 200) {
      discardBody(res);
      throw new RegistryError(
        res.status === 401 || res.status === 403 ? 'UNAUTHORIZED' : 'TOKEN_ERROR',
        `token request for ${this.#registry} to ${shown} answered ${res.status}` +
          (res.status === 401 || res.status === 403 ? ' (check the credentials for this registry)' : ''),
        {
          status: res.status,
          method: res.method,
          url: shown,
          retryable: res.status >= 500 || res.status === 429,
        },
      );
    }
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown; issued_at?: unknown };
    const bytes = await readCapped(res, {
      what: `token response from ${shown}`,
      cap: caps.token,
      tooLarge: responseTooLarge('TOKEN_TOO_LARGE'),
    });
    try {
      body = JSON.parse(Buffer.from(bytes).toString('utf8')) as typeof body;
      if (typeof body !== 'object' || body === null) throw new TypeError('not an object');
    } catch (err) {
      throw new RegistryError('TOKEN_ERROR', `token response from ${shown} is not JSON`, { cause: err });
    }
    const token =
      typeof body.token === 'string' && body.token !== ''
        ? body.token
        : typeof body.access_token === 'string'
          ? body.access_token
          : undefined;
    if (!token) throw new RegistryError('TOKEN_ERROR', `token response from ${shown} carries no token`);
    // The spec's minimum lifetime is 60 s; refresh a little early.
    const lifetime = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 60;
    const issued = typeof body.issued_at === 'string' ? Date.parse(body.issued_at) : Number.NaN;
    const start = Number.isFinite(issued) && issued <= Date.now() ? issued : Date.now();
    return { token, expiresAt: start + lifetime * 1000 - Math.min(10_000, lifetime * 100) };
  }
}

function scopeKey(scopes: readonly string[]): string {
  return [...new Set(scopes)].sort().join(' ');
}
