// The lading CLI against umoci and buildah: `lading export` (whole process) of the real tree into a fresh OCI
// layout with a gzip layer, vs `umoci init+new+insert` (fresh layout) and `buildah commit` of a ready container
// (vfs storage); a warm re-export served by the layer cache; and `lading --version` / `--help` startup.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A buildah container holding `tree`, in a private storage (vfs, chroot isolation, its own --root/--runroot under a
 * temp dir) so that nothing is shared with other buildah users or earlier runs; `dispose` removes it all.
 */
async function makeBuildahContainer(scratch, tree) {
  const dir = await mkdtemp(join(scratch, 'buildah-'));
  const global = ['--storage-driver', 'vfs', '--root', join(dir, 'root'), '--runroot', join(dir, 'runroot')];
  const env = { ...process.env, BUILDAH_ISOLATION: 'chroot', STORAGE_DRIVER: 'vfs' };
  const name = `lading-bench-${process.pid}-${Date.now().toString(36)}`;
  const buildah = (args, opts = {}) => execFileSync('buildah', [...global, ...args], { env, ...opts });
  let created = false;
  try {
    buildah(['from', '--isolation', 'chroot', '--name', name, 'scratch'], { stdio: 'ignore' });
    created = true;
    buildah(['copy', name, tree, '/'], { stdio: 'ignore' });
  } catch (error) {
    if (created) buildah(['rm', name], { stdio: 'ignore' });
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    global,
    name,
    env,
    async dispose() {
      try {
        buildah(['rm', name], { stdio: 'ignore' });
      } catch {
        // the storage goes with the directory anyway
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export default async function (bench) {
  const tree = await bench.realTree();
  const main = join(bench.repoRoot, 'apps/exporter/dist/bundle/main.js');
  const fresh = (path) => async () => rm(path, { recursive: true, force: true });
  const scratch = bench.tmp('');
  await rm(scratch, { recursive: true, force: true });
  await mkdir(scratch, { recursive: true });
  const layout = join(scratch, 'layout');
  const umoci = join(scratch, 'umoci');
  const buildahOut = join(scratch, 'buildah-oci');
  const env = { LADING_STORE: join(scratch, 'store') };

  const exportArgv = (dest) => [
    'node',
    main,
    'export',
    tree,
    '-o',
    `type=oci,tar=false,dest=${dest},compression=gzip`,
    '--tag',
    'bench:1',
    '--progress',
    'quiet',
  ];
  // Made once (untimed); each timed run commits it to a fresh layout.
  const ctr = await makeBuildahContainer(scratch, tree);
  try {
    const cold = await bench.compare('lading export of the real tree to a fresh OCI layout (gzip)', {
      lading: { argv: exportArgv(layout), env, prepare: fresh(layout) },
      peers: {
        'umoci init+new+insert': {
          argv: [
            'sh',
            '-c',
            'umoci init --layout "$1" && umoci new --image "$1:t" && umoci insert --image "$1:t" "$0" /',
            tree,
            umoci,
          ],
          prepare: fresh(umoci),
        },
        'buildah commit (vfs)': {
          argv: [
            'buildah',
            ...ctr.global,
            'commit',
            '--format',
            'oci',
            '--quiet',
            ctr.name,
            `oci:${buildahOut}:t`,
          ],
          env: ctr.env,
          prepare: fresh(buildahOut),
        },
      },
      runs: 3,
      targets: [
        { peer: 'umoci init+new+insert', maxRatio: 1.0 },
        { peer: 'buildah commit (vfs)', maxRatio: 1.0 },
      ],
    });
    bench.record('lading export: peak RSS', {
      value: Math.round(cold.rows[0].peakRssMiB),
      unit: 'MiB',
      limit: 250,
    });

    // Warm: the same tree into the same layout; the layer cache in the layout answers without reading files.
    const warmLayout = join(scratch, 'warm-layout');
    execFileSync(exportArgv(warmLayout)[0], exportArgv(warmLayout).slice(1), {
      env: { ...process.env, ...env },
    });
    const warm = await bench.compare('lading export, warm re-export of the unchanged tree', {
      lading: { argv: exportArgv(warmLayout), env },
      peers: {},
      runs: 3,
    });
    bench.record('warm re-export / cold export', {
      value: Number((warm.rows[0].medianSeconds / cold.rows[0].medianSeconds).toFixed(4)),
      unit: 'x',
      limit: 0.05,
    });
  } finally {
    await ctr.dispose();
  }

  const version = await bench.compare('lading --version startup', {
    lading: ['node', main, '--version'],
    peers: {
      'node -e 0': ['node', '-e', '0'],
      'lading --help': ['node', main, '--help'],
      'lading export --help': ['node', main, 'export', '--help'],
    },
    runs: 10,
  });
  bench.record('lading --version startup', {
    value: Math.round(version.rows[0].medianSeconds * 1000),
    unit: 'ms',
    limit: 150,
  });
  await rm(scratch, { recursive: true, force: true });
}
