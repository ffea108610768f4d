// @lading/layer against umoci, pigz and zstd on the same tree of real files: a gzip layer into a fresh store
// (whole process), a zstd layer, a warm rebuild served by the layer cache (whole process and through the API), and
// peak RSS on a 2 GiB tree.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { coldAndWarmThroughApi } from '../lib/layer-api.mjs';
import { realTreeVersion } from '../real-tree.mjs';

function blobSizeOfUmociLayout(layout) {
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
  const blob = (d) => join(layout, 'blobs', ...d.split(':'));
  const manifest = JSON.parse(readFileSync(blob(index.manifests[0].digest), 'utf8'));
  return manifest.layers.reduce((n, l) => n + l.size, 0);
}

function onlyBlob(store) {
  const dir = join(store, 'blobs', 'sha256');
  const sizes = readdirSync(dir).map((f) => statSync(join(dir, f)).size);
  return Math.max(...sizes);
}

export default async function (bench) {
  const tree = await bench.realTree();
  const script = join(bench.repoRoot, 'tools/bench/scripts/layer-build.mjs');
  const store = bench.tmp('store');
  const umoci = bench.tmp('umoci');
  const fresh = (path) => async () => rm(path, { recursive: true, force: true });

  const gzip = await bench.compare('gzip layer of the real tree into a fresh store', {
    lading: { argv: ['node', script, tree, store, 'gzip'], prepare: fresh(store) },
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
      'tar | pigz -6 -p2 | sha256sum': ['sh', '-c', 'tar -C "$0" -cf - . | pigz -6 -p 2 | sha256sum', tree],
    },
    runs: 3,
    targets: [{ peer: 'umoci init+new+insert', maxRatio: 1.0 }],
  });
  bench.record('gzip layer: peak RSS', {
    value: Math.round(gzip.rows[0].peakRssMiB),
    unit: 'MiB',
    limit: 200,
  });
  const ours = onlyBlob(store);
  const theirs = blobSizeOfUmociLayout(umoci);
  bench.record('gzip layer: blob size / umoci blob size', {
    value: Number((ours / theirs).toFixed(4)),
    unit: 'x',
    limit: 1.03,
    note: `${ours} vs ${theirs} bytes`,
  });

  await bench.compare('zstd layer of the real tree into a fresh store', {
    lading: { argv: ['node', script, tree, store, 'zstd'], prepare: fresh(store) },
    peers: {
      'tar | zstd -3 -T2 | sha256sum': ['sh', '-c', 'tar -C "$0" -cf - . | zstd -q -3 -T2 | sha256sum', tree],
    },
    runs: 3,
    targets: [{ peer: 'tar | zstd -3 -T2 | sha256sum', maxRatio: 1.0 }],
  });
  const zstdOurs = onlyBlob(store);
  const zstdTheirs = Number(
    execFileSync('sh', ['-c', 'tar -C "$0" -cf - . | zstd -q -3 -T2 | wc -c', tree]).toString().trim(),
  );
  bench.record('zstd layer: blob size / tar | zstd -3 -T2 size', {
    value: Number((zstdOurs / zstdTheirs).toFixed(4)),
    unit: 'x',
    limit: 1.02,
    note: `${zstdOurs} vs ${zstdTheirs} bytes`,
  });

  // Warm: the second build of an unchanged tree reads metadata only.
  const cached = bench.tmp('cached-store');
  await rm(cached, { recursive: true, force: true });
  execFileSync('node', [script, tree, cached, 'gzip', '--cache']);
  const warm = await bench.compare('gzip layer, warm rebuild from the layer cache', {
    lading: ['node', script, tree, cached, 'gzip', '--cache'],
    peers: {},
    runs: 3,
  });
  bench.record('warm rebuild / cold build, whole process', {
    value: Number((warm.rows[0].medianSeconds / gzip.rows[0].medianSeconds).toFixed(4)),
    unit: 'x',
    note: 'includes node start and module load (see the --version rows of the exporter suite); the target is judged through the API below',
  });

  // Through the API, as a long-running builder calls it.
  const apiStore = bench.tmp('api-store');
  const { cold: coldMedian, warm: warmApi } = await coldAndWarmThroughApi(bench, tree, apiStore);
  bench.record('gzip layer through the API: cold build', { value: Number(coldMedian.toFixed(3)), unit: 's' });
  bench.record('gzip layer through the API: warm rebuild', { value: Number(warmApi.toFixed(3)), unit: 's' });
  bench.record('warm rebuild / cold build, through the API', {
    value: Number((warmApi / coldMedian).toFixed(4)),
    unit: 'x',
    limit: 0.05,
  });
  // Memory must not grow with the layer: a 2 GiB tree (the real tree plus three big files cut from its own tar,
  // so they compress like real data), one run.
  const bigPart = bench.small ? 64 << 20 : 512 << 20;
  const big = await bench.fixture(`big-tree-${realTreeVersion}`, async (path) => {
    await mkdir(path, { recursive: true });
    execFileSync('cp', ['-a', tree, join(path, 'tree')]);
    for (let i = 0; i < 3; i++) {
      execFileSync('sh', [
        '-c',
        'while tar -C "$0" -cf - --sort=name .; do :; done | head -c "$1" > "$2"',
        tree,
        String(bigPart),
        join(path, `big-${i}.bin`),
      ]);
    }
  });
  const bigStore = bench.tmp('big-store');
  const bigRun = await bench.compare('gzip layer of the real tree plus 1.5 GiB of big files', {
    lading: { argv: ['node', script, big, bigStore, 'gzip'], prepare: fresh(bigStore) },
    peers: {},
    runs: 1,
  });
  bench.record('gzip layer of the 2 GiB tree: peak RSS', {
    value: Math.round(bigRun.rows[0].peakRssMiB),
    unit: 'MiB',
    limit: 200,
  });
  for (const p of [store, umoci, cached, apiStore, bigStore]) await rm(p, { recursive: true, force: true });
}
