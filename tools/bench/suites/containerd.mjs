// An image of the real tree into containerd, unpacked: `lading export -o type=image,unpack=true` (the tree made into
// a layer, sent over containerd's API, applied into overlayfs, named) beside `ctr images import` of the same image as
// an OCI archive (import + unpack). containerd is emptied of it before every run (images removed, then a synchronous
// garbage collection). Cold: a fresh lading store, so the layer is built from the files. Layer cached: the lading
// store kept, so the layer cache answers and lading, like ctr, starts from a layer already made.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { realTreeVersion } from '../real-tree.mjs';

/** A containerd of its own (root, state, socket under `dir`; CRI off), as the tests start one. */
async function startContainerd(dir) {
  await mkdir(dir, { recursive: true });
  const address = join(dir, 'containerd.sock');
  const config = join(dir, 'config.toml');
  await writeFile(
    config,
    [
      'version = 2',
      `root = ${JSON.stringify(join(dir, 'root'))}`,
      `state = ${JSON.stringify(join(dir, 'state'))}`,
      '[grpc]',
      `  address = ${JSON.stringify(address)}`,
      '[ttrpc]',
      `  address = ${JSON.stringify(`${address}.ttrpc`)}`,
      '[plugins."io.containerd.grpc.v1.cri"]',
      '  disable = true',
      '[plugins."io.containerd.internal.v1.opt"]',
      `  path = ${JSON.stringify(join(dir, 'opt'))}`,
      '',
    ].join('\n'),
  );
  const child = spawn('containerd', ['--config', config], { stdio: 'ignore' });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (existsSync(address)) {
      try {
        execFileSync('ctr', ['--address', address, 'version'], { stdio: 'ignore' });
        break;
      } catch {}
    }
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('containerd did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    address,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export default async function (bench) {
  const tree = await bench.realTree();
  const main = join(bench.repoRoot, 'apps/exporter/dist/bundle/main.js');
  const scratch = bench.tmp('');
  await rm(scratch, { recursive: true, force: true });
  await mkdir(scratch, { recursive: true });
  const name = 'docker.io/library/bench:1';
  // The same image for both: made once by lading as an OCI archive (OCI media types, gzip).
  const archive = await bench.fixture(`containerd-oci-archive-${realTreeVersion}`, async (path) => {
    await mkdir(path, { recursive: true });
    execFileSync(
      'node',
      [
        main,
        'export',
        tree,
        '-o',
        `type=oci,dest=${join(path, 'image.tar')},name=${name}`,
        '--progress',
        'quiet',
      ],
      { env: { ...process.env, LADING_STORE: join(path, 'store') }, stdio: 'ignore' },
    );
    await rm(join(path, 'store'), { recursive: true, force: true });
  });
  const daemon = await startContainerd(join(scratch, 'containerd'));
  try {
    const ctr = (namespace, args) =>
      execFileSync('ctr', ['--address', daemon.address, '--namespace', namespace, ...args], {
        stdio: 'ignore',
      });
    // Nothing of the image left in containerd: records gone, content and snapshots collected.
    const emptyContainerd = () => {
      for (const ns of ['lading', 'ctr']) {
        try {
          ctr(ns, ['images', 'rm', '--sync', name]);
        } catch {}
      }
    };
    const store = join(scratch, 'store');
    const ladingCmd = (prepare) => ({
      argv: [
        'node',
        main,
        'export',
        tree,
        '-o',
        'type=image,name=bench:1,unpack=true,oci-mediatypes=true',
        '--containerd-address',
        daemon.address,
        '--namespace',
        'lading',
        '--progress',
        'quiet',
      ],
      env: { LADING_STORE: store },
      prepare,
    });
    const ctrImport = {
      argv: [
        'ctr',
        '--address',
        daemon.address,
        '--namespace',
        'ctr',
        'images',
        'import',
        '--snapshotter',
        'overlayfs',
        join(archive, 'image.tar'),
      ],
      prepare: async () => emptyContainerd(),
    };
    const cold = await bench.compare(
      'export with unpack=true into containerd, cold (layer built from the tree)',
      {
        lading: ladingCmd(async () => {
          emptyContainerd();
          await rm(store, { recursive: true, force: true });
        }),
        peers: { 'ctr images import (OCI archive, + unpack)': ctrImport },
        runs: 3,
        targets: [{ peer: 'ctr images import (OCI archive, + unpack)', maxRatio: 1.0 }],
      },
    );
    bench.record('export into containerd: peak RSS', {
      value: Math.round(cold.rows[0].peakRssMiB),
      unit: 'MiB',
      limit: 250,
    });
    await bench.compare(
      'export with unpack=true into containerd, layer cached (the layer made before, as the archive)',
      {
        lading: ladingCmd(async () => emptyContainerd()),
        peers: { 'ctr images import (OCI archive, + unpack)': ctrImport },
        runs: 3,
        targets: [{ peer: 'ctr images import (OCI archive, + unpack)', maxRatio: 1.0 }],
      },
    );
  } finally {
    await daemon.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}
