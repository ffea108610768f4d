// type=moby into a stopped dockerd's data-root (vfs), against the way in that needs a running daemon: lading's
// docker archive (`-o type=docker,dest=F`) then `docker load -i F` into a dockerd (vfs), on the same real tree.
// Cold: a fresh data-root and a fresh lading store for lading; a fresh store, no image in the daemon for the peer.
// Warm: the same export again with everything in place (lading: layer cache, layer reused by chain ID; the peer:
// layer cache, then a load of layers the daemon has). The daemon is started once, untimed (testkit's startDockerd:
// its own data-root, exec-root and socket).
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

export default async function (bench) {
  const tree = await bench.realTree();
  const main = join(bench.repoRoot, 'apps/exporter/dist/bundle/main.js');
  const { startDockerd } = await import(join(bench.repoRoot, 'packages/testkit/dist/index.js'));
  const scratch = bench.tmp('');
  await rm(scratch, { recursive: true, force: true });
  await mkdir(scratch, { recursive: true });
  const root = join(scratch, 'data-root');
  const ladingStore = join(scratch, 'store-data-root');
  const peerStore = join(scratch, 'store-archive');
  const archive = join(scratch, 'image.tar');
  const remove =
    (...paths) =>
    async () => {
      for (const p of paths) await rm(p, { recursive: true, force: true });
    };
  const ladingArgv = [
    'node',
    main,
    'export',
    tree,
    '-o',
    'type=moby,name=bench:1',
    '--moby-root',
    root,
    '--moby-driver',
    'vfs',
    '--progress',
    'quiet',
  ];
  const loadScript = `node ${JSON.stringify(main)} export ${JSON.stringify(tree)} -o type=docker,dest=${JSON.stringify(archive)},name=bench:1 --progress quiet && docker load -q -i ${JSON.stringify(archive)} >/dev/null`;
  const daemon = await startDockerd({ storageDriver: 'vfs' });
  try {
    const peerEnv = { ...daemon.env, LADING_STORE: peerStore };
    const peer = 'lading -o type=docker + docker load (dockerd, vfs)';
    await bench.compare('lading export of the real tree into a stopped dockerd data-root (vfs), cold', {
      lading: { argv: ladingArgv, env: { LADING_STORE: ladingStore }, prepare: remove(root, ladingStore) },
      peers: {
        [peer]: {
          argv: ['sh', '-c', loadScript],
          env: peerEnv,
          async prepare() {
            await remove(peerStore, archive)();
            await daemon.docker(['image', 'rm', '-f', 'bench:1'], { allowFailure: true });
          },
        },
      },
      runs: 3,
      targets: [{ peer, maxRatio: 1.0 }],
    });
    await bench.compare(
      'the same export again, unchanged tree (layer cache; layer already in the root / daemon)',
      {
        lading: { argv: ladingArgv, env: { LADING_STORE: ladingStore } },
        peers: { [peer]: { argv: ['sh', '-c', loadScript], env: peerEnv } },
        runs: 3,
      },
    );
  } finally {
    await daemon.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}
