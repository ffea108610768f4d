import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError, RegistryError } from '@lading/digest';

/** What a registry login gives: a user and password, or an OAuth2 refresh (identity) token, or a bearer token. */
export interface Credentials {
  readonly username?: string;
  readonly password?: string;
  /** An OAuth2 refresh token (`identitytoken` in config.json, Username `<token>` from a helper). */
  readonly identityToken?: string;
  /** A bearer token used as is (`registrytoken`). */
  readonly registryToken?: string;
}

export interface CredentialOptions {
  /** Used as is for every registry; skips every file and helper. */
  readonly credentials?: Credentials;
  /** Explicit auth files to read, first match wins (default: REGISTRY_AUTH_FILE, containers auth.json, Docker config.json). */
  readonly authFiles?: readonly string[];
  /** Environment to read DOCKER_CONFIG, REGISTRY_AUTH_FILE, XDG_RUNTIME_DIR, HOME from (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
}

interface AuthFile {
  auths?: Record<string, AuthEntry>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

/** The auth files in the order podman, skopeo and buildah read them, then Docker's. */
export function defaultAuthFiles(env: Readonly<Record<string, string | undefined>> = process.env): string[] {
  const files: string[] = [];
  if (env.REGISTRY_AUTH_FILE) files.push(env.REGISTRY_AUTH_FILE);
  if (env.XDG_RUNTIME_DIR) files.push(join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'));
  const home = env.HOME ?? homedir();
  files.push(join(env.XDG_CONFIG_HOME ?? join(home, '.config'), 'containers', 'auth.json'));
  files.push(join(env.DOCKER_CONFIG ?? join(home, '.docker'), 'config.json'));
  return files;
}

/** `https://index.docker.io/v1/` -> `index.docker.io`, `registry:5000/path` -> `registry:5000`. */
export function normalizeAuthKey(key: string): string {
  let k = key.trim();
  k = k.replace(/^[a-z]+:\/\//i, '');
  const slash = k.indexOf('/');
  if (slash >= 0) k = k.slice(0, slash);
  return k.toLowerCase();
}

/** The host names a registry's credentials may be stored under (Docker Hub has several). */
function keysFor(registry: string): string[] {
  const r = registry.toLowerCase();
  if (r === 'docker.io' || r === 'index.docker.io' || r === 'registry-1.docker.io') {
    return ['index.docker.io', 'docker.io', 'registry-1.docker.io'];
  }
  return [r];
}

/** The server URL a credential helper is asked about (Docker Hub keeps its historic URL). */
function helperServerUrl(registry: string): string {
  return keysFor(registry)[0] === 'index.docker.io' ? 'https://index.docker.io/v1/' : registry;
}

/**
 * Finds credentials for a registry host (`host[:port]`): explicit credentials, else the first auth file that knows
 * the host, where `credHelpers[host]` beats `credsStore`, which beats `auths[host]`. Undefined means anonymous.
 */
export async function resolveCredentials(
  registry: string,
  options: CredentialOptions = {},
): Promise<Credentials | undefined> {
  if (options.credentials) return options.credentials;
  const env = options.env ?? process.env;
  const files = options.authFiles ?? defaultAuthFiles(env);
  const keys = keysFor(registry);
  for (const file of files) {
    const config = await readAuthFile(file);
    if (config === undefined) continue;
    const helperName = keys.map((k) => findKey(config.credHelpers, k)).find((h) => h !== undefined);
    if (helperName !== undefined) {
      const found = await readHelper(helperName, helperServerUrl(registry), env);
      if (found) return found;
      continue;
    }
    if (config.credsStore) {
      const found = await readHelper(config.credsStore, helperServerUrl(registry), env);
      if (found) return found;
    }
    for (const k of keys) {
      const entry = findKey(config.auths, k);
      if (entry) {
        const creds = decodeEntry(entry, file);
        if (creds) return creds;
      }
    }
  }
  return undefined;
}

function findKey<T>(map: Record<string, T> | undefined, key: string): T | undefined {
  if (!map) return undefined;
  for (const [k, v] of Object.entries(map)) if (normalizeAuthKey(k) === key) return v;
  return undefined;
}

async function readAuthFile(path: string): Promise<AuthFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
    return parsed as AuthFile;
  } catch (err) {
    throw new InvalidInputError('BAD_AUTH_FILE', `auth file ${path} is not valid JSON; fix or remove it`, {
      cause: err,
    });
  }
}

function decodeEntry(entry: AuthEntry, file: string): Credentials | undefined {
  if (entry.identitytoken) {
    const user = entry.auth ? splitAuth(entry.auth, file).username : entry.username;
    return { ...(user ? { username: user } : {}), identityToken: entry.identitytoken };
  }
  if (entry.registrytoken) return { registryToken: entry.registrytoken };
  if (entry.auth) return splitAuth(entry.auth, file);
  if (entry.username !== undefined && entry.password !== undefined) {
    return { username: entry.username, password: entry.password };
  }
  return undefined;
}

function splitAuth(auth: string, file: string): { username: string; password: string } {
  const decoded = Buffer.from(auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) {
    // never echo the value: it is a secret
    throw new InvalidInputError('BAD_AUTH_FILE', `an "auth" entry in ${file} is not base64 of user:password`);
  }
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Runs `docker-credential-<name> get` with the server URL on stdin; undefined when it knows no credentials. */
async function readHelper(
  name: string,
  serverUrl: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<Credentials | undefined> {
  const bin = `docker-credential-${name}`;
  const { code, stdout, stderr, spawnError } = await new Promise<{
    code: number;
    stdout: string;
    stderr: string;
    spawnError?: Error;
  }>((resolve) => {
    const child = spawn(bin, ['get'], { stdio: ['pipe', 'pipe', 'pipe'], env: env as NodeJS.ProcessEnv });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', (e) => resolve({ code: -1, stdout: '', stderr: '', spawnError: e }));
    child.on('close', (c) =>
      resolve({
        code: c ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    child.stdin.on('error', () => {});
    child.stdin.end(serverUrl);
  });
  if (spawnError) {
    throw new RegistryError(
      'CREDENTIAL_HELPER',
      `credential helper ${bin} could not be run: ${spawnError.message}`,
      {
        cause: spawnError,
      },
    );
  }
  const said = `${stdout}${stderr}`;
  if (code !== 0) {
    if (/credentials not found/i.test(said)) return undefined;
    // The helper's output could echo a secret: report only the exit code.
    throw new RegistryError(
      'CREDENTIAL_HELPER',
      `credential helper ${bin} failed (exit ${code}) for ${serverUrl}`,
    );
  }
  let parsed: { Username?: string; Secret?: string };
  try {
    parsed = JSON.parse(stdout) as { Username?: string; Secret?: string };
  } catch {
    throw new RegistryError(
      'CREDENTIAL_HELPER',
      `credential helper ${bin} printed something that is not JSON`,
    );
  }
  if (!parsed.Secret) return undefined;
  if (parsed.Username === '<token>') return { identityToken: parsed.Secret };
  return { username: parsed.Username ?? '', password: parsed.Secret };
}
