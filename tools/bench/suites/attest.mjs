// What an SBOM costs: `lading export` (whole process) of the real tree into a fresh OCI layout (no layer cache, no
// remembered findings), with `--attest type=sbom` and without. The SBOM is found in the walk that builds the layer,
// so it should add almost nothing (issue 15: under 5%).
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

export default async function (bench) {
  const tree = await bench.realTree();
  const main = join(bench.repoRoot, 'apps/exporter/dist/bundle/main.js');
  const scratch = bench.tmp('attest');
  await rm(scratch, { recursive: true, force: true });
  await mkdir(scratch, { recursive: true });
  const env = { LADING_STORE: join(scratch, 'store') };
  const fresh = (path) => async () => rm(path, { recursive: true, force: true });
  const argv = (dest, extra) => [
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
    ...extra,
  ];
  const withSbom = join(scratch, 'with-sbom');
  const without = join(scratch, 'without');
  const cold = await bench.compare('lading export of the real tree, cold, with --attest type=sbom', {
    lading: { argv: argv(withSbom, ['--attest', 'type=sbom']), env, prepare: fresh(withSbom) },
    peers: { 'lading export without --attest': { argv: argv(without, []), env, prepare: fresh(without) } },
    runs: 5,
    targets: [{ peer: 'lading export without --attest', maxRatio: 1.05 }],
  });
  const [sbomRow, plainRow] = cold.rows;
  bench.record('SBOM overhead on a cold export of the real tree', {
    value: Number(((sbomRow.medianSeconds / plainRow.medianSeconds - 1) * 100).toFixed(2)),
    unit: '%',
    limit: 5,
  });
  await rm(scratch, { recursive: true, force: true });
}
