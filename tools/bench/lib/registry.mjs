// A Distribution registry for the benchmarks (Debian `docker-registry`) on 127.0.0.1 with filesystem storage that
// can be wiped between runs (stop, delete, start), and the image layout the registry suites push: the real tree made
// into an OCI layout by umoci, one layer per top-level directory, like a real multi-layer image.
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { realTreeVersion } from '../real-tree.mjs';

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Starts a registry storing under `dir`; `stop()` when done, `wipe()` empties it. */
export async function startBenchRegistry(dir) {
  const port = await freePort();
  const storage = join(dir, 'storage');
  const configPath = join(dir, 'config.yml');
  await mkdir(dir, { recursive: true });
  await writeFile(
    configPath,
    JSON.stringify({
      version: 0.1,
      log: { level: 'error', accesslog: { disabled: true } },
      storage: {
        filesystem: { rootdirectory: storage },
        delete: { enabled: true },
        maintenance: { uploadpurging: { enabled: false } },
      },
      http: { addr: `127.0.0.1:${port}`, secret: 'lading-bench' },
    }),
  );
  let child;
  const start = async () => {
    child = spawn('docker-registry', ['serve', configPath], { stdio: 'ignore' });
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/v2/`);
        if (res.status === 200) return;
      } catch {}
      await new Promise((r) => setTimeout(r, 30));
    }
    throw new Error('docker-registry did not start');
  };
  const stop = () =>
    new Promise((resolve) => {
      if (!child || child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  await start();
  return {
    host: `127.0.0.1:${port}`,
    stop,
    async wipe() {
      await stop();
      await rm(storage, { recursive: true, force: true });
      await start();
    },
    async dispose() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The real tree as an OCI layout (tag `bench`) made by umoci: the same fixture as the push suite's. */
export function benchImageLayout(bench, tree) {
  return bench.fixture(`push-layout-${realTreeVersion}`, async (path) => {
    execFileSync('umoci', ['init', '--layout', path]);
    execFileSync('umoci', ['new', '--image', `${path}:bench`]);
    for (const name of readdirSync(tree).sort()) {
      execFileSync('umoci', ['insert', '--image', `${path}:bench`, join(tree, name), `/${name}`], {
        stdio: 'ignore',
      });
    }
  });
}
