// A Node app's node_modules as a layer (issue 17): a tree of 100,000+ small files, made once by `npm install` of a
// fixed list of popular packages (cached under LADING_BENCH_DIR). A gzip layer of it into a fresh store against
// `umoci insert` of the same tree, whole processes; peak RSS; then the warm rebuild of the unchanged tree through
// the API (as a long-running builder calls it) against the cold build, in this process.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { coldAndWarmThroughApi } from '../lib/layer-api.mjs';

/** Pinned, so the tree is the same on every machine; `--ignore-scripts` keeps native builds out of it. */
const packages = [
  'typescript@5.6.3',
  '@babel/core@7.26.0',
  '@babel/preset-env@7.26.0',
  'webpack@5.96.1',
  'eslint@9.14.0',
  'jest@29.7.0',
  'next@15.0.3',
  'react@18.3.1',
  'react-dom@18.3.1',
  '@mui/material@6.1.7',
  '@mui/icons-material@6.1.7',
  'lodash@4.17.21',
  'rxjs@7.8.1',
  'aws-sdk@2.1692.0',
  'googleapis@144.0.0',
  '@angular/core@19.0.0',
  'date-fns@4.1.0',
  '@carbon/icons@11.52.0',
  '@aws-sdk/client-s3@3.699.0',
  '@tabler/icons-react@3.22.0',
  'core-js@3.39.0',
];

function countFiles(dir) {
  let n = 0;
  const stack = [dir];
  while (stack.length > 0) {
    const d = stack.pop();
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) stack.push(join(d, e.name));
      else n++;
    }
  }
  return n;
}

export default async function (bench) {
  const app = await bench.fixture('node-modules-v1', async (path) => {
    await mkdir(path, { recursive: true });
    await writeFile(join(path, 'package.json'), JSON.stringify({ name: 'bench-app', private: true }));
    execFileSync(
      'npm',
      ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', ...packages],
      { cwd: path, stdio: 'inherit' },
    );
  });
  const files = countFiles(join(app, 'node_modules'));
  bench.record('node_modules tree: files', { value: files, unit: 'files', note: packages.join(' ') });
  if (files < 100_000) throw new Error(`the node_modules fixture has ${files} files, fewer than 100,000`);

  const script = join(bench.repoRoot, 'tools/bench/scripts/layer-build.mjs');
  const store = bench.tmp('store');
  const umoci = bench.tmp('umoci');
  const fresh = (path) => async () => rm(path, { recursive: true, force: true });
  const gzip = await bench.compare('gzip layer of a node_modules tree (100k+ files) into a fresh store', {
    lading: { argv: ['node', script, app, store, 'gzip'], prepare: fresh(store) },
    peers: {
      'umoci init+new+insert': {
        argv: [
          'sh',
          '-c',
          'umoci init --layout "$1" && umoci new --image "$1:t" && umoci insert --image "$1:t" "$0" /',
          app,
          umoci,
        ],
        prepare: fresh(umoci),
      },
    },
    runs: 3,
    targets: [{ peer: 'umoci init+new+insert', maxRatio: 1.0 }],
  });
  bench.record('node_modules gzip layer: peak RSS', {
    value: Math.round(gzip.rows[0].peakRssMiB),
    unit: 'MiB',
    limit: 250,
  });

  const apiStore = bench.tmp('api-store');
  const { cold: coldMedian, warm } = await coldAndWarmThroughApi(bench, app, apiStore);
  bench.record('node_modules through the API: cold build', {
    value: Number(coldMedian.toFixed(3)),
    unit: 's',
  });
  bench.record('node_modules through the API: warm rebuild', { value: Number(warm.toFixed(3)), unit: 's' });
  bench.record('node_modules warm rebuild / cold build, through the API', {
    value: Number((warm / coldMedian).toFixed(4)),
    unit: 'x',
    limit: 0.05,
  });
  await rm(store, { recursive: true, force: true });
  await rm(umoci, { recursive: true, force: true });
  await rm(apiStore, { recursive: true, force: true });
}
