import { spawn } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { keepLog, stopChild, waitUntil } from './child.js';
import { requirePeer } from './peers.js';
import { type RunResult, run } from './run.js';
import { makeTempDir, type TempDir } from './temp.js';

export interface DockerdOptions {
  /** The graph driver (default vfs: it works on any filesystem; overlay2 for the data-root tests). */
  readonly storageDriver?: 'vfs' | 'overlay2';
  /** Start on this data-root (a data-root test writes it first); default a fresh one in the temp dir. */
  readonly dataRoot?: string;
}

export interface RunningDockerd {
  /** The API socket's path. */
  readonly socket: string;
  /** `unix://<socket>`, for DOCKER_HOST. */
  readonly host: string;
  readonly dataRoot: string;
  readonly storageDriver: 'vfs' | 'overlay2';
  readonly dir: TempDir;
  /** Environment for a child that should talk to this daemon (DOCKER_HOST, a private DOCKER_CONFIG). */
  readonly env: NodeJS.ProcessEnv;
  /** Runs the docker CLI against this daemon. */
  docker(
    args: readonly string[],
    options?: { input?: string | Uint8Array; allowFailure?: boolean },
  ): Promise<RunResult>;
  /** A raw Engine API request over the socket (the oracle for what the daemon holds). */
  api(method: string, path: string, body?: Uint8Array): Promise<{ status: number; body: Buffer }>;
  /**
   * Builds a context directory with BuildKit (`POST /build?version=2&networkmode=none`), tagged `tag`;
   * returns the image ID the build reported. A build error throws with BuildKit's message. `cacheFrom` is the
   * API's `cachefrom` (registry refs BuildKit imports as caches); `onMessage` sees every JSON line of the stream
   * (e.g. `moby.buildkit.trace`, whose `aux` is a base64 protobuf `StatusResponse`).
   */
  build(
    contextDir: string,
    options: {
      tag: string;
      buildArgs?: Record<string, string>;
      cacheFrom?: readonly string[];
      onMessage?: (message: Record<string, unknown>) => void;
    },
  ): Promise<string>;
  logs(): string;
  /** Stops the daemon (and the containerd it started); `dataRoot` stays when it was given. */
  stop(): Promise<void>;
}

function runBuffer(command: string, args: readonly string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`${command} exited ${code}`)),
    );
  });
}

/** One HTTP request over a unix socket. */
export function socketRequest(
  socket: string,
  method: string,
  path: string,
  body?: Uint8Array,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath: socket,
        method,
        path,
        headers: {
          Host: 'docker',
          ...(body ? { 'Content-Length': String(body.byteLength) } : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Starts Debian's dockerd (20.10, BuildKit inside) as root with its own data-root, exec-root, pid file and API
 * socket, no networking of its own (`--iptables=false --ip-masq=false --bridge=none`), and waits for `/_ping`.
 * Containers run with `--network none`. Each call is an independent daemon with its own containerd.
 */
export async function startDockerd(options: DockerdOptions = {}): Promise<RunningDockerd> {
  const bin = requirePeer('dockerd');
  const dockerCli = requirePeer('docker');
  const dir = await makeTempDir('lading-dockerd-');
  const storageDriver = options.storageDriver ?? 'vfs';
  const dataRoot = options.dataRoot ?? join(dir.path, 'root');
  const execRoot = join(dir.path, 'exec');
  const socket = join(dir.path, 'docker.sock');
  const config = join(dir.path, 'cli');
  await mkdir(dataRoot, { recursive: true });
  await mkdir(config, { recursive: true });
  // An empty daemon.json of its own: nothing from /etc/docker reaches the test daemon.
  await writeFile(join(dir.path, 'daemon.json'), '{}');
  const child = spawn(
    bin,
    [
      '--data-root',
      dataRoot,
      '--exec-root',
      execRoot,
      '--pidfile',
      join(dir.path, 'docker.pid'),
      '-H',
      `unix://${socket}`,
      '--iptables=false',
      '--ip-masq=false',
      '--bridge=none',
      `--storage-driver=${storageDriver}`,
      '--config-file',
      join(dir.path, 'daemon.json'),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const logs = keepLog(child);
  const up = await waitUntil(
    async () => (await socketRequest(socket, 'GET', '/_ping')).status === 200,
    child,
    60_000,
  );
  const stop = async () => {
    await stopChild(child, 20_000);
    if (options.dataRoot === undefined) await rm(dataRoot, { recursive: true, force: true });
    await dir.cleanup();
  };
  if (!up) {
    await stop();
    throw new Error(`dockerd did not answer on ${socket}:\n${logs()}`);
  }
  const env = { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: config };
  let stopped = false;
  return {
    socket,
    host: `unix://${socket}`,
    dataRoot,
    storageDriver,
    dir,
    env,
    docker: (args, opts = {}) =>
      run(dockerCli, args, {
        env,
        ...(opts.input !== undefined ? { input: opts.input } : {}),
        ...(opts.allowFailure ? { allowFailure: true } : {}),
      }),
    api: (method, path, body) => socketRequest(socket, method, path, body),
    async build(contextDir, opts) {
      const tar = await runBuffer(requirePeer('tar'), ['-C', contextDir, '-c', '.']);
      const query = new URLSearchParams({ version: '2', networkmode: 'none', t: opts.tag, rm: '1' });
      if (opts.buildArgs) query.set('buildargs', JSON.stringify(opts.buildArgs));
      if (opts.cacheFrom) query.set('cachefrom', JSON.stringify(opts.cacheFrom));
      const res = await socketRequest(socket, 'POST', `/v1.41/build?${query}`, tar, {
        'Content-Type': 'application/x-tar',
      });
      const text = res.body.toString('utf8');
      if (res.status !== 200) throw new Error(`build failed (${res.status}): ${text}`);
      let id: string | undefined;
      for (const line of text.split('\n')) {
        if (line.trim() === '') continue;
        const msg = JSON.parse(line) as { id?: string; aux?: { ID?: string }; error?: string };
        opts.onMessage?.(msg);
        if (msg.error) throw new Error(`build failed: ${msg.error}`);
        if (msg.id === 'moby.image.id' && msg.aux?.ID) id = msg.aux.ID;
      }
      if (id === undefined) throw new Error(`build reported no image ID:\n${text}`);
      return id;
    },
    logs,
    async stop() {
      if (stopped) return;
      stopped = true;
      await stop();
    },
  };
}
