import { createSign, randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { run } from './run.js';
import { makeTempDir, type TempDir } from './temp.js';

export interface TestUser {
  readonly username: string;
  readonly password: string;
}

/**
 * Writes an htpasswd file (bcrypt, the only scheme Distribution reads) and returns the registry `auth` section for
 * `startRegistry({ config })`.
 */
export async function htpasswdAuthConfig(
  dir: string,
  users: readonly TestUser[],
): Promise<Record<string, unknown>> {
  const path = join(dir, 'htpasswd');
  const lines = users.map((u) => `${u.username}:${bcrypt.hashSync(u.password, 5)}`);
  await writeFile(path, `${lines.join('\n')}\n`);
  return { auth: { htpasswd: { realm: 'lading-test', path } } };
}

export interface TokenRequestLog {
  readonly scopes: readonly string[];
  readonly service: string | undefined;
  /** The user who authenticated, if any (never the password). */
  readonly user: string | undefined;
  readonly status: number;
}

export interface TokenServer {
  /** `http://127.0.0.1:PORT/token` */
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  /** The registry `auth` section: `{ auth: { token: { realm, service, issuer, rootcertbundle } } }`. */
  readonly registryConfig: Record<string, unknown>;
  readonly requests: TokenRequestLog[];
  stop(): Promise<void>;
}

export interface TokenServerOptions {
  /** Users that may log in with Basic credentials; with none, everyone is anonymous and gets what they ask. */
  readonly users?: readonly TestUser[];
  /** Let anonymous requests have pull access (default false when users are given). */
  readonly anonymousPull?: boolean;
  /** Token lifetime in seconds (default 300). */
  readonly expiresIn?: number;
  /** Grant at most these actions to the n-th token request (0-based); undefined grants what is asked. */
  readonly limitActions?: (n: number, scopes: readonly string[]) => readonly string[] | undefined;
}

/**
 * Makes a self-signed RSA certificate and its key (PEM files) with the openssl CLI, valid for two days; with
 * `ipAddress`, a subjectAltName for that address (what a TLS client checks against).
 */
export async function selfSignedCertificate(options: {
  readonly certificate: string;
  readonly key: string;
  readonly subject: string;
  readonly ipAddress?: string;
}): Promise<void> {
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-sha256',
    '-days',
    '2',
    '-subj',
    options.subject,
    ...(options.ipAddress ? ['-addext', `subjectAltName=IP:${options.ipAddress}`] : []),
    '-keyout',
    options.key,
    '-out',
    options.certificate,
  ]);
}

/**
 * A token server in the Docker registry token protocol: GET /token?service&scope... with optional Basic auth,
 * answering an RS256 JWT whose x5c header carries a self-signed certificate (made with the openssl CLI) that the
 * registry trusts through `rootcertbundle`.
 */
export async function startTokenServer(options: TokenServerOptions = {}): Promise<TokenServer> {
  const dir: TempDir = await makeTempDir('lading-token-');
  const keyPath = join(dir.path, 'key.pem');
  const certPath = join(dir.path, 'cert.pem');
  await selfSignedCertificate({
    certificate: certPath,
    key: keyPath,
    subject: '/CN=lading-test-token-issuer',
  });
  const keyPem = await readFile(keyPath, 'utf8');
  const certPem = await readFile(certPath, 'utf8');
  const certDer = certPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  const service = 'lading-test-registry';
  const issuer = 'lading-test-issuer';
  const requests: TokenRequestLog[] = [];
  const users = options.users ?? [];

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const scopes = url.searchParams
      .getAll('scope')
      .flatMap((s) => s.split(' '))
      .filter(Boolean);
    const svc = url.searchParams.get('service') ?? undefined;
    let user: string | undefined;
    const authz = req.headers.authorization;
    if (authz?.startsWith('Basic ')) {
      const decoded = Buffer.from(authz.slice(6), 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      const name = decoded.slice(0, i);
      const pass = decoded.slice(i + 1);
      if (!users.some((u) => u.username === name && u.password === pass)) {
        requests.push({ scopes, service: svc, user: undefined, status: 401 });
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"bad credentials"}');
        return;
      }
      user = name;
    }
    if (users.length > 0 && user === undefined && !options.anonymousPull) {
      requests.push({ scopes, service: svc, user, status: 401 });
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"authentication required"}');
      return;
    }
    const limit = options.limitActions?.(requests.length, scopes);
    const access = scopes.map((s) => {
      const [type = '', ...rest] = s.split(':');
      const actions = (rest.pop() ?? '').split(',').filter(Boolean);
      const name = rest.join(':');
      const allowed = user === undefined && users.length > 0 ? actions.filter((a) => a === 'pull') : actions;
      const granted = limit ? allowed.filter((a) => limit.includes(a)) : allowed;
      return { type, name, actions: granted };
    });
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = options.expiresIn ?? 300;
    const header = { typ: 'JWT', alg: 'RS256', x5c: [certDer] };
    const claims = {
      iss: issuer,
      sub: user ?? '',
      aud: svc ?? service,
      exp: now + expiresIn,
      nbf: now - 10,
      iat: now,
      jti: randomUUID(),
      access,
    };
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const signingInput = `${b64(header)}.${b64(claims)}`;
    const signature = createSign('RSA-SHA256').update(signingInput).sign(keyPem).toString('base64url');
    const token = `${signingInput}.${signature}`;
    requests.push({ scopes, service: svc, user, status: 200 });
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        token,
        access_token: token,
        expires_in: expiresIn,
        issued_at: new Date().toISOString(),
      }),
    );
  };
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const realm = `http://127.0.0.1:${port}/token`;
  return {
    realm,
    service,
    issuer,
    registryConfig: { auth: { token: { realm, service, issuer, rootcertbundle: certPath } } },
    requests,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await dir.cleanup();
    },
  };
}

export interface TlsRegistry {
  /** `127.0.0.1:PORT`, serving HTTPS only with a self-signed certificate. */
  readonly host: string;
  readonly port: number;
  /** The certificate (PEM path) a client would have to trust. */
  readonly certificate: string;
  stop(): Promise<void>;
}

/** Starts `docker-registry` serving HTTPS only (self-signed certificate for 127.0.0.1, made with openssl). */
export async function startTlsRegistry(): Promise<TlsRegistry> {
  const { spawn } = await import('node:child_process');
  const { freePort } = await import('./registry.js');
  const https = await import('node:https');
  const dir = await makeTempDir('lading-tls-registry-');
  const key = join(dir.path, 'key.pem');
  const certificate = join(dir.path, 'cert.pem');
  await selfSignedCertificate({ certificate, key, subject: '/CN=127.0.0.1', ipAddress: '127.0.0.1' });
  const port = await freePort();
  const configPath = join(dir.path, 'config.yml');
  await writeFile(
    configPath,
    JSON.stringify({
      version: 0.1,
      log: { level: 'warn', accesslog: { disabled: true } },
      storage: { filesystem: { rootdirectory: join(dir.path, 'storage') } },
      http: { addr: `127.0.0.1:${port}`, secret: 'lading-test-secret', tls: { certificate, key } },
    }),
  );
  const child = spawn('docker-registry', ['serve', configPath], { stdio: 'ignore' });
  const ok = async () =>
    new Promise<boolean>((resolve) => {
      const req = https.get(`https://127.0.0.1:${port}/v2/`, { rejectUnauthorized: false }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', () => resolve(false));
    });
  const deadline = Date.now() + 15_000;
  while (!(await ok())) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      await dir.cleanup();
      throw new Error('docker-registry with TLS did not start');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    host: `127.0.0.1:${port}`,
    port,
    certificate,
    async stop() {
      if (child.exitCode === null) {
        await new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        });
      }
      await dir.cleanup();
    },
  };
}
