// The lading CLI against umoci and buildah: `lading export` (whole process) of the real tree into a fresh OCI
// layout with a gzip layer, vs `umoci init+new+insert` (fresh layout) and `buildah commit` of a ready container
// (vfs storage); a warm re-export served by the layer cache; and `lading --version` startup.
import { execFileSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

export default async function (bench) {
  const tree = await bench.realTree();
  const main = join(bench.repoRoot, 'apps/exporter/dist/cli/main.js');
  const fresh = (path) => async () => rm(path, { recursive: true, force: true });
  const layout = bench.tmp('layout');
  const umoci = bench.tmp('umoci');
  const buildahOut = bench.tmp('buildah-oci');
  const store = bench.tmp('store');
  const env = { ...process.env, LADING_STORE: store };

  // A buildah container holding the tree, made once (untimed); each run commits it to a fresh layout.
  const broot = bench.tmp('buildah-root');
  const brun = bench.tmp('buildah-runroot');
  await rm(broot, { recursive: true, force: true });
  await rm(brun, { recursive: true, force: true });
  const g = ['--storage-driver', 'vfs', '--root', broot, '--runroot', brun];
  const ctr = execFileSync('buildah', [...g, 'from', '--name', 'bench', 'scratch'], {
    encoding: 'utf8',
  }).trim();
  execFileSync('buildah', [...g, 'copy', ctr, tree, '/']);

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
          argv: ['buildah', ...g, 'commit', '--format', 'oci', '--quiet', ctr, `oci:${buildahOut}:t`],
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
    const warmLayout = bench.tmp('warm-layout');
    await rm(warmLayout, { recursive: true, force: true });
    execFileSync(exportArgv(warmLayout)[0], exportArgv(warmLayout).slice(1), { env });
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
    execFileSync('buildah', [...g, 'rm', ctr], { stdio: 'ignore' });
  }

  const version = await bench.compare('lading --version startup', {
    lading: ['node', main, '--version'],
    peers: { 'node -e 0': ['node', '-e', '0'] },
    runs: 10,
  });
  bench.record('lading --version startup', {
    value: Math.round(version.rows[0].medianSeconds * 1000),
    unit: 'ms',
    limit: 150,
  });
}
