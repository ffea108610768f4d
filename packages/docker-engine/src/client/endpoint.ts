import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { OptionError } from '@lading/digest';
import { readCurrentContext } from './context.js';

/** The default daemon socket on Linux (moby's `client.DefaultDockerHost`). */
export const defaultDockerHost = 'unix:///var/run/docker.sock';

/** TLS material for a tcp:// daemon; `verify` false skips the server certificate check (as DOCKER_TLS_VERIFY unset). */
export interface EngineTls {
  readonly verify: boolean;
  readonly ca?: Uint8Array;
  readonly cert?: Uint8Array;
  readonly key?: Uint8Array;
}

interface EndpointBase {
  /** As users write it: `unix:///var/run/docker.sock`, `tcp://10.0.0.2:2376`. */
  readonly address: string;
  /** Where the address came from, for error messages: `DOCKER_HOST`, `docker context "ci"`, `the default socket`. */
  readonly source: string;
}

export type EngineEndpoint =
  | (EndpointBase & { readonly kind: 'unix'; readonly socketPath: string })
  | (EndpointBase & {
      readonly kind: 'tcp';
      readonly host: string;
      readonly port: number;
      /** A path prefix the API lives under (`tcp://host:2375/prefix`), '' when none. */
      readonly basePath: string;
      readonly tls?: EngineTls;
    });

export interface ResolveEndpointOptions {
  /** Environment to read DOCKER_HOST, DOCKER_CONTEXT, DOCKER_CONFIG, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH from. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** A host to use instead of what the environment names (same grammar as DOCKER_HOST). */
  readonly host?: string;
}

function badHost(host: string, source: string, why: string): OptionError {
  // A user:password in the address never reaches an error message.
  const shown = host.replace(/\/\/[^/@]*@/, '//');
  return new OptionError('ENGINE_HOST_INVALID', `${source}=${JSON.stringify(shown)}: ${why}`, {
    key: 'DOCKER_HOST',
  });
}

/**
 * Parses a daemon host as the docker CLI takes it (`unix:///path`, `tcp://host[:port][/path]`). ssh://, fd:// and
 * npipe:// name transports lading does not speak: an OptionError that says what to use instead.
 */
export function parseDockerHost(
  host: string,
  options: { readonly source: string; readonly tls?: EngineTls },
): EngineEndpoint {
  const { source } = options;
  const sep = host.indexOf('://');
  if (sep <= 0) throw badHost(host, source, 'expected unix:///PATH or tcp://HOST:PORT');
  const scheme = host.slice(0, sep).toLowerCase();
  const rest = host.slice(sep + 3);
  if (scheme === 'unix') {
    if (rest === '') throw badHost(host, source, 'no socket path after unix://');
    return { kind: 'unix', socketPath: rest, address: `unix://${rest}`, source };
  }
  if (scheme === 'tcp' || scheme === 'http' || scheme === 'https') {
    let url: URL;
    try {
      url = new URL(`http://${rest}`);
    } catch {
      throw badHost(host, source, 'not a valid tcp://HOST:PORT address');
    }
    if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
      throw badHost(host, source, 'a daemon address takes no user, query or fragment');
    }
    const tls = scheme === 'https' && options.tls === undefined ? { verify: true } : options.tls;
    // The CLI's defaults: 2376 when TLS is on, else 2375; an empty host is localhost.
    const port = url.port !== '' ? Number(url.port) : tls ? 2376 : 2375;
    const hostname = url.hostname === '' ? 'localhost' : url.hostname.replace(/^\[(.*)\]$/, '$1');
    const basePath = url.pathname === '/' ? '' : url.pathname.replace(/\/+$/, '');
    const shownHost = hostname.includes(':') ? `[${hostname}]` : hostname;
    return {
      kind: 'tcp',
      host: hostname,
      port,
      basePath,
      ...(tls ? { tls } : {}),
      address: `tcp://${shownHost}:${port}${basePath}`,
      source,
    };
  }
  if (scheme === 'ssh' || scheme === 'fd' || scheme === 'npipe') {
    throw badHost(
      host,
      source,
      `${scheme}:// is not supported by lading; use unix:///PATH or tcp://HOST:PORT` +
        (scheme === 'ssh'
          ? ' (forward the socket: ssh -nNL /tmp/docker.sock:/var/run/docker.sock HOST)'
          : ''),
    );
  }
  throw badHost(host, source, `unknown scheme ${scheme}://; use unix:// or tcp://`);
}

async function readOptional(path: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** `ca.pem`, `cert.pem`, `key.pem` of a directory, those that exist. */
export async function readTlsDir(dir: string, verify: boolean): Promise<EngineTls> {
  const [ca, cert, key] = await Promise.all(
    ['ca.pem', 'cert.pem', 'key.pem'].map((f) => readOptional(join(dir, f))),
  );
  if ((cert === undefined) !== (key === undefined)) {
    throw new OptionError(
      'ENGINE_TLS_INCOMPLETE',
      `${dir}: a client certificate needs both cert.pem and key.pem (one of them is missing)`,
      { key: 'DOCKER_CERT_PATH' },
    );
  }
  return { verify, ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
}

/** The docker CLI's config directory: $DOCKER_CONFIG, else ~/.docker. */
export function dockerConfigDir(env: Readonly<Record<string, string | undefined>>): string {
  return env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker');
}

/** TLS from DOCKER_TLS_VERIFY / DOCKER_TLS / DOCKER_CERT_PATH, as the docker CLI and moby's client read them. */
async function envTls(env: Readonly<Record<string, string | undefined>>): Promise<EngineTls | undefined> {
  const verify = (env.DOCKER_TLS_VERIFY ?? '') !== '';
  const certPath = env.DOCKER_CERT_PATH ?? '';
  if (!verify && (env.DOCKER_TLS ?? '') === '' && certPath === '') return undefined;
  return readTlsDir(certPath || dockerConfigDir(env), verify);
}

/**
 * Which daemon to talk to, in the docker CLI's order: DOCKER_HOST; else the context DOCKER_CONTEXT names, else the
 * config's `currentContext` (`$DOCKER_CONFIG/config.json`, contexts under `contexts/meta/<sha256 of name>/`); else
 * the default socket. The `default` context is the default socket.
 */
export async function resolveEngineEndpoint(options: ResolveEndpointOptions = {}): Promise<EngineEndpoint> {
  const env = options.env ?? process.env;
  if (options.host !== undefined && options.host !== '') {
    const tls = await envTls(env);
    return parseDockerHost(options.host, { source: 'the host given', ...(tls ? { tls } : {}) });
  }
  const fromEnv = env.DOCKER_HOST ?? '';
  if (fromEnv !== '') {
    const tls = await envTls(env);
    return parseDockerHost(fromEnv, { source: 'DOCKER_HOST', ...(tls ? { tls } : {}) });
  }
  const context = await readCurrentContext(dockerConfigDir(env), env.DOCKER_CONTEXT);
  if (context !== undefined) {
    const tls = context.tlsDir
      ? await readTlsDir(context.tlsDir, !context.skipTlsVerify)
      : context.skipTlsVerify
        ? { verify: false }
        : undefined;
    return parseDockerHost(context.host, {
      source: `docker context "${context.name}"`,
      ...(tls ? { tls } : {}),
    });
  }
  return parseDockerHost(defaultDockerHost, { source: 'the default socket' });
}
