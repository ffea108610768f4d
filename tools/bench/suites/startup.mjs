// Small real commands as whole processes, beside `node -e 0` and the peers: `lading inspect oci:DIR:TAG` of a local
// layout and `lading-buildah images` (each loads the code it needs: the store, digests, JSON checks), and a warm
// `lading push` (every blob already in the registry: start-up plus the existence checks) against skopeo.
// `lading --version` is shown too, but proves little: it loads nothing.
import { execFileSync } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { benchImageLayout, startBenchRegistry } from '../lib/registry.mjs';

export default async function (bench) {
  const tree = await bench.realTree();
  const layout = await benchImageLayout(bench, tree);
  const lading = join(bench.repoRoot, 'apps/exporter/dist/bundle/main.js');
  const ladingBuildah = join(bench.repoRoot, 'apps/buildah-compat/dist/bundle/main.js');
  const node0 = ['node', '-e', '0'];

  await bench.compare('lading inspect oci:DIR:TAG of a local layout, whole process', {
    lading: ['node', lading, 'inspect', `oci:${layout}:bench`],
    peers: {
      'node -e 0': node0,
      'skopeo inspect': ['skopeo', 'inspect', `oci:${layout}:bench`],
      'lading --version': ['node', lading, '--version'],
    },
    runs: 15,
    targets: [{ peer: 'node -e 0', maxRatio: 1.5 }],
  });

  // Three images in each tool's local storage, made once.
  const roots = await bench.fixture('startup-image-roots-v1', async (path) => {
    const small = join(path, 'src');
    await mkdir(small, { recursive: true });
    await writeFile(join(small, 'hello.txt'), 'hello\n');
    const lb = (...args) => execFileSync('node', [ladingBuildah, '--root', join(path, 'lading'), ...args]);
    const bh = (...args) =>
      execFileSync('buildah', [...buildahGlobal(path), ...args], { env: buildahEnv(), stdio: 'pipe' });
    for (const tool of [lb, bh]) {
      for (const name of ['one', 'two', 'three']) {
        const c = tool('from', 'scratch').toString().trim();
        tool('copy', c, small, `/${name}`);
        tool('commit', '-q', c, `localhost/bench/${name}:1`);
        tool('rm', c);
      }
    }
  });
  await bench.compare('lading-buildah images (3 images), whole process', {
    lading: ['node', ladingBuildah, '--root', join(roots, 'lading'), 'images'],
    peers: {
      'node -e 0': node0,
      'buildah images (vfs)': { argv: ['buildah', ...buildahGlobal(roots), 'images'], env: buildahEnv() },
    },
    runs: 15,
    targets: [{ peer: 'node -e 0', maxRatio: 1.5 }],
  });

  const scratch = bench.tmp('');
  await rm(scratch, { recursive: true, force: true });
  const registry = await startBenchRegistry(join(scratch, 'registry'));
  const dest = `docker://${registry.host}/bench/app:bench`;
  try {
    execFileSync('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${layout}:bench`, dest]);
    await bench.compare('lading push oci:DIR:TAG, warm (every blob present), whole process', {
      lading: ['node', lading, 'push', `oci:${layout}:bench`, dest, '--insecure'],
      peers: {
        skopeo: ['skopeo', 'copy', '--quiet', '--dest-tls-verify=false', `oci:${layout}:bench`, dest],
        'node -e 0': node0,
      },
      runs: 9,
      targets: [{ peer: 'skopeo', maxRatio: 2.5 }],
    });
  } finally {
    await registry.dispose();
    await rm(scratch, { recursive: true, force: true });
  }
}

function buildahGlobal(dir) {
  return [
    '--storage-driver',
    'vfs',
    '--root',
    join(dir, 'buildah', 'root'),
    '--runroot',
    join(dir, 'buildah', 'run'),
  ];
}

function buildahEnv() {
  return { ...process.env, BUILDAH_ISOLATION: 'chroot', STORAGE_DRIVER: 'vfs' };
}
