// Unpack of the real tree's gzip layer into an empty directory, whole processes: @lading/layer's applyLayer (what
// `unpack=true`, `lading-buildah from` and the Engine's data-root use) against GNU `tar -xzf` of the same blob and
// `umoci unpack` of an umoci layout of the same tree. lading and tar read lading's gzip layer of the tree: umoci
// 0.4.7's own layer ends without the last file's padding and the end-of-archive blocks, which GNU tar refuses.
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { realTreeVersion } from '../real-tree.mjs';

export default async function (bench) {
  const tree = await bench.realTree();
  const layout = await bench.fixture(`umoci-layout-${realTreeVersion}`, async (path) => {
    execFileSync('sh', [
      '-c',
      'umoci init --layout "$1" && umoci new --image "$1:t" && umoci insert --image "$1:t" "$0" /',
      tree,
      path,
    ]);
  });
  const built = await bench.fixture(`gzip-layer-store-${realTreeVersion}`, async (path) => {
    execFileSync('node', [join(bench.repoRoot, 'tools/bench/scripts/layer-build.mjs'), tree, path, 'gzip']);
  });
  const blobs = join(built, 'blobs', 'sha256');
  const blob = readdirSync(blobs)
    .map((f) => join(blobs, f))
    .sort((a, b) => statSync(b).size - statSync(a).size)[0];
  const script = join(bench.repoRoot, 'tools/bench/scripts/unpack-layer.mjs');
  const ours = bench.tmp('lading');
  const tarDir = bench.tmp('tar');
  const bundle = bench.tmp('umoci');
  const gone = (path) => () => rm(path, { recursive: true, force: true });
  await bench.compare("unpack of the real tree's gzip layer into an empty directory", {
    lading: { argv: ['node', script, blob, ours], prepare: gone(ours) },
    peers: {
      'tar -xzf': {
        argv: ['tar', '-xzf', blob, '-C', tarDir],
        prepare: async () => {
          await rm(tarDir, { recursive: true, force: true });
          await mkdir(tarDir, { recursive: true });
        },
      },
      'umoci unpack': {
        argv: ['umoci', 'unpack', '--image', `${layout}:t`, bundle],
        prepare: gone(bundle),
      },
    },
    runs: 3,
    targets: [
      { peer: 'tar -xzf', maxRatio: 1.0 },
      { peer: 'umoci unpack', maxRatio: 1.0 },
    ],
  });
  for (const p of [ours, tarDir, bundle]) await rm(p, { recursive: true, force: true });
}
