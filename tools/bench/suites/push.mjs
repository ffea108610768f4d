// Push of the real tree's image (an OCI layout built by umoci, one layer per top-level directory) to a local
// Distribution registry, lading against `skopeo copy`: cold (a fresh, empty registry before every run) and warm
// (everything present: through the CLI, and through the API in this process).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { realTreeVersion } from '../real-tree.mjs';

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** A docker-registry on a fixed port whose storage can be wiped between runs (stop, delete, start). */
async function makeRegistry(dir, port) {
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
  return {
    host: `127.0.0.1:${port}`,
    start,
    stop,
    async wipe() {
      await stop();
      await rm(storage, { recursive: true, force: true });
      await start();
    },
  };
}

export default async function (bench) {
  const tree = await bench.realTree();
  const layout = await bench.fixture(`push-layout-${realTreeVersion}`, async (path) => {
    execFileSync('umoci', ['init', '--layout', path]);
    execFileSync('umoci', ['new', '--image', `${path}:bench`]);
    // one layer per top-level directory of the tree: a multi-layer image like a real one
    for (const name of readdirSync(tree).sort()) {
      execFileSync('umoci', ['insert', '--image', `${path}:bench`, join(tree, name), `/${name}`], {
        stdio: 'ignore',
      });
    }
  });
  const script = join(bench.repoRoot, 'tools/bench/scripts/push-oci.mjs');
  const dir = bench.tmp('registry');
  await rm(dir, { recursive: true, force: true });
  const port = await freePort();
  const registry = await makeRegistry(dir, port);
  await registry.start();
  const ref = `${registry.host}/bench/app:bench`;
  try {
    await bench.compare('push ~500 MiB image, cold (empty registry each run)', {
      lading: {
        argv: ['node', script, '--layout', layout, '--tag', 'bench', '--dest', ref],
        prepare: registry.wipe,
      },
      peers: {
        skopeo: {
          argv: [
            'skopeo',
            'copy',
            '--quiet',
            '--dest-tls-verify=false',
            `oci:${layout}:bench`,
            `docker://${ref}`,
          ],
          prepare: registry.wipe,
        },
      },
      runs: 3,
      targets: [{ peer: 'skopeo', maxRatio: 1.0 }],
    });

    // warm: everything present (the last cold run left it there)
    await bench.compare('push ~500 MiB image, warm (all present), whole process', {
      lading: ['node', script, '--layout', layout, '--tag', 'bench', '--dest', ref],
      peers: {
        skopeo: [
          'skopeo',
          'copy',
          '--quiet',
          '--dest-tls-verify=false',
          `oci:${layout}:bench`,
          `docker://${ref}`,
        ],
      },
      runs: 5,
      targets: [{ peer: 'skopeo', maxRatio: 3.0 }],
    });

    // the `lading push` CLI, warm: start-up plus the push's existence checks (DESIGN: within 3x of skopeo)
    const cli = join(bench.repoRoot, 'apps/exporter/dist/bundle/main.js');
    await bench.compare('lading push (CLI), warm (all present), whole process', {
      lading: ['node', cli, 'push', `oci:${layout}:bench`, `docker://${ref}`, '--insecure'],
      peers: {
        skopeo: [
          'skopeo',
          'copy',
          '--quiet',
          '--dest-tls-verify=false',
          `oci:${layout}:bench`,
          `docker://${ref}`,
        ],
        'node -e 0': ['node', '-e', '0'],
      },
      runs: 7,
      targets: [{ peer: 'skopeo', maxRatio: 3.0 }],
    });

    const { pushImage, RegistryClient } = await import(join(bench.repoRoot, 'packages/push/dist/index.js'));
    const { openLocalStore } = await import(join(bench.repoRoot, 'packages/content-store/dist/index.js'));
    const store = await openLocalStore(layout);
    const index = await store.readIndex();
    const root = index.manifests.find(
      (m) => m.annotations?.['org.opencontainers.image.ref.name'] === 'bench',
    );
    const client = new RegistryClient(registry.host);
    try {
      const seconds = await bench.timeFn(() => pushImage(store, root, ref, { client }), { runs: 9 });
      bench.record('push ~500 MiB image, warm (all present), API with a kept client', {
        value: Number((seconds * 1000).toFixed(2)),
        unit: 'ms',
        limit: 50,
      });
    } finally {
      client.close();
    }
  } finally {
    await registry.stop();
    if (existsSync(dir)) await rm(dir, { recursive: true, force: true });
  }
}
