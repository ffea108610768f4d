// Pull of the real tree's image (~500 MiB of files, one gzip layer per top-level directory) from a local
// Distribution registry into a fresh OCI layout: `lading copy docker://... oci:DIR:TAG` against
// `skopeo copy docker://... oci:DIR:TAG`, whole processes, each run into an empty layout (and an empty lading store).
import { execFileSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { benchImageLayout, startBenchRegistry } from '../lib/registry.mjs';

export default async function (bench) {
  const tree = await bench.realTree();
  const layout = await benchImageLayout(bench, tree);
  const cli = join(bench.repoRoot, 'apps/exporter/dist/bundle/main.js');
  const scratch = bench.tmp('');
  await rm(scratch, { recursive: true, force: true });
  const registry = await startBenchRegistry(join(scratch, 'registry'));
  const src = `docker://${registry.host}/bench/app:bench`;
  const ladingOut = join(scratch, 'lading-oci');
  const ladingStore = join(scratch, 'lading-store');
  const skopeoOut = join(scratch, 'skopeo-oci');
  try {
    execFileSync('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${layout}:bench`, src]);
    const pull = await bench.compare('pull ~500 MiB image from a local registry into a fresh OCI layout', {
      lading: {
        argv: ['node', cli, 'copy', src, `oci:${ladingOut}:bench`, '--insecure', '--progress', 'quiet'],
        env: { LADING_STORE: ladingStore },
        prepare: async () => {
          await rm(ladingOut, { recursive: true, force: true });
          await rm(ladingStore, { recursive: true, force: true });
        },
      },
      peers: {
        'skopeo copy': {
          argv: ['skopeo', 'copy', '--quiet', '--src-tls-verify=false', src, `oci:${skopeoOut}:bench`],
          prepare: () => rm(skopeoOut, { recursive: true, force: true }),
        },
      },
      runs: 5,
      targets: [{ peer: 'skopeo copy', maxRatio: 1.0 }],
    });
    bench.record('pull: lading peak RSS', {
      value: Math.round(pull.rows[0].peakRssMiB),
      unit: 'MiB',
      limit: 150,
    });
  } finally {
    await registry.dispose();
    await rm(scratch, { recursive: true, force: true });
  }
}
