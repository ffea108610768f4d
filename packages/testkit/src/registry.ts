import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { stopChild } from './child.js';
import { requirePeer } from './peers.js';
import { makeTempDir, type TempDir } from './temp.js';

export interface RegistryOptions {
  /** Extra top-level config sections (e.g. `auth`), merged over the defaults. */
  readonly config?: Record<string, unknown>;
  /** Keep the registry's log lines (default: only the last 200 are kept for error messages). */
  readonly keepLogs?: boolean;
}

export interface RunningRegistry {
  /** `127.0.0.1:PORT` */
  readonly host: string;
  readonly port: number;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** The registry's filesystem storage root. */
  readonly storage: string;
  readonly dir: TempDir;
  logs(): string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') return reject(new Error('no port'));
      srv.close(() => resolve(addr.port));
    });
  });
}

/**
 * Starts Debian's `docker-registry` (Distribution 2.8) on 127.0.0.1 with a fresh config and filesystem storage,
 * waits until `/v2/` answers, and stops it by its own pid.
 */
export async function startRegistry(options: RegistryOptions = {}): Promise<RunningRegistry> {
  const bin = requirePeer('docker-registry');
  const dir = await makeTempDir('lading-registry-');
  const storage = join(dir.path, 'storage');
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const config = {
      version: 0.1,
      log: { level: 'warn', accesslog: { disabled: true } },
      storage: {
        filesystem: { rootdirectory: storage },
        delete: { enabled: true },
        maintenance: { uploadpurging: { enabled: false } },
      },
      http: {
        addr: `127.0.0.1:${port}`,
        secret: 'lading-test-secret',
        headers: { 'X-Content-Type-Options': ['nosniff'] },
      },
      ...options.config,
    };
    const configPath = join(dir.path, 'config.yml');
    // JSON is YAML: the registry's parser reads it as is.
    await writeFile(configPath, JSON.stringify(config, null, 2));
    const child = spawn(bin, ['serve', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    const keep = (b: Buffer) => {
      lines.push(b.toString('utf8'));
      if (!options.keepLogs && lines.length > 200) lines.splice(0, lines.length - 200);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const url = `http://127.0.0.1:${port}`;
    const ok = await waitForV2(url, child);
    if (!ok) {
      child.kill('SIGKILL');
      if (attempt === 4) {
        await dir.cleanup();
        throw new Error(`docker-registry did not answer on ${url}/v2/:\n${lines.join('')}`);
      }
      continue;
    }
    let stopped = false;
    return {
      host: `127.0.0.1:${port}`,
      port,
      url,
      storage,
      dir,
      logs: () => lines.join(''),
      async stop() {
        if (stopped) return;
        stopped = true;
        await stopChild(child);
        await dir.cleanup();
      },
    };
  }
  throw new Error('unreachable');
}

async function waitForV2(url: string, child: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) return false;
    try {
      const res = await fetch(`${url}/v2/`);
      // 200 without auth, 401 with auth configured: either way it is serving.
      if (res.status === 200 || res.status === 401) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
