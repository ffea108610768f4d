// lading-buildah against buildah doing the same three steps on the real tree: `from scratch`, `copy TREE /`,
// `commit` — into local storage, and into a fresh `oci:` layout. Each timed run starts from an empty storage root;
// buildah runs in a private vfs storage with chroot isolation (its own --root/--runroot), like lading-buildah's
// --root. The whole sequence is one timed shell command per tool, so process start-up counts for both.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

export default async function (bench) {
  const tree = await bench.realTree();
  const main = join(bench.repoRoot, 'apps/buildah-compat/dist/bundle/main.js');
  const scratch = bench.tmp('');
  await rm(scratch, { recursive: true, force: true });
  await mkdir(scratch, { recursive: true });
  const ladingRoot = join(scratch, 'lading-root');
  const buildahDir = join(scratch, 'buildah');
  const ladingOci = join(scratch, 'lading-oci');
  const buildahOci = join(scratch, 'buildah-oci');
  const lb = `node ${JSON.stringify(main)} --root ${JSON.stringify(ladingRoot)}`;
  const bh = `buildah --storage-driver vfs --root ${JSON.stringify(join(buildahDir, 'root'))} --runroot ${JSON.stringify(join(buildahDir, 'run'))}`;
  const buildahEnv = { BUILDAH_ISOLATION: 'chroot', STORAGE_DRIVER: 'vfs' };
  const steps = (tool, dest) =>
    `set -e; c=$(${tool} from scratch); ${tool} copy "$c" ${JSON.stringify(tree)} /; ${tool} commit -q "$c" ${dest} >/dev/null`;
  const clean =
    (...paths) =>
    async () => {
      for (const p of paths) await rm(p, { recursive: true, force: true });
    };

  try {
    await bench.compare('from scratch + copy of the real tree + commit into local storage', {
      lading: { argv: ['sh', '-c', steps(lb, 'bench-image')], prepare: clean(ladingRoot) },
      peers: {
        'buildah (vfs, chroot)': {
          argv: ['sh', '-c', steps(bh, 'bench-image')],
          env: buildahEnv,
          prepare: clean(buildahDir),
        },
      },
      runs: 3,
      targets: [{ peer: 'buildah (vfs, chroot)', maxRatio: 1.0 }],
    });
    await bench.compare('from scratch + copy of the real tree + commit --format oci into an oci: layout', {
      lading: {
        argv: ['sh', '-c', steps(lb, `oci:${JSON.stringify(ladingOci)}:bench`)],
        prepare: clean(ladingRoot, ladingOci),
      },
      peers: {
        'buildah (vfs, chroot)': {
          argv: ['sh', '-c', steps(bh, `oci:${JSON.stringify(buildahOci)}:bench`)],
          env: buildahEnv,
          prepare: clean(buildahDir, buildahOci),
        },
      },
      runs: 3,
      targets: [{ peer: 'buildah (vfs, chroot)', maxRatio: 1.0 }],
    });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
