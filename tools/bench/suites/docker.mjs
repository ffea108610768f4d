// lading into a running Docker Engine (dockerd 20.10, started here on its own data-root) against what Docker users
// do today, on the real tree, in a vfs daemon: `lading export -o type=moby` beside a BuildKit build of
// `FROM scratch` + `COPY . /` of the same tree in the same daemon, and beside `lading export -o type=docker,dest=F`
// followed by `docker load -i F`. Then the warm cases: the unchanged tree again (only a tag), and a 1 MiB app layer
// on top of the tree already in the Engine (only the app layer travels). Every timed run is a whole process.
// moby's vfs driver copies the parent layer's whole tree for every new layer (graphdriver/vfs Create), whoever sends
// it, so the app-layer case is also timed in a second daemon on overlay2, against a cold load into that daemon.
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export default async function (bench) {
  const tree = await bench.realTree();
  const testkit = await import(pathToFileURL(join(bench.repoRoot, 'packages/testkit/dist/index.js')).href);
  const scratch = bench.tmp('');
  await rm(scratch, { recursive: true, force: true });
  await mkdir(scratch, { recursive: true });
  const app = join(scratch, 'app');
  await mkdir(app, { recursive: true });
  // 1 MiB that does not compress, so no tool gets it for free.
  await writeFile(join(app, 'app.bin'), randomBytes(1 << 20));
  // The BuildKit context: the tree (hard links, so nothing is copied) and a Dockerfile.
  const context = join(scratch, 'context');
  await mkdir(context, { recursive: true });
  await testkit.run('cp', ['-al', `${tree}/.`, join(context, 'tree')]);
  await writeFile(join(context, 'Dockerfile'), 'FROM scratch\nCOPY tree/ /\n');
  const main = join(bench.repoRoot, 'apps/exporter/dist/bundle/main.js');
  const setup = { bench, testkit, tree, app, context, main, store: join(scratch, 'store'), scratch };
  try {
    await inVfsDaemon(setup);
    await inOverlayDaemon(setup);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

const exportMoby = (main, name, ...layers) => [
  'node',
  main,
  'export',
  ...layers.flatMap((l) => ['--layer', l]),
  '-o',
  `type=moby,name=${name}`,
  '--progress',
  'quiet',
];

function engineEnv(dockerd, store) {
  return {
    DOCKER_HOST: dockerd.host,
    DOCKER_CONFIG: dockerd.env.DOCKER_CONFIG,
    LADING_STORE: store,
    LADING_MOBY_ROOT: '',
  };
}

async function inVfsDaemon({ bench, testkit, tree, app, context, main, store, scratch }) {
  const buildkitBuild = join(bench.repoRoot, 'tools/bench/scripts/buildkit-build.mjs');
  const archive = join(scratch, 'image.tar');
  const dockerd = await testkit.startDockerd({ storageDriver: 'vfs' });
  try {
    const env = engineEnv(dockerd, store);
    const docker = (args) => dockerd.docker(args, { allowFailure: true });
    /** Nothing of the bench in the Engine (images, their layers, BuildKit's cache) or the lading store. */
    const cold = async () => {
      await docker(['image', 'rm', '-f', 'bench:1', 'bench:app', 'bench-load:1', 'bench-bk:1']);
      await docker(['image', 'prune', '-f']);
      await docker(['builder', 'prune', '-af']);
      await rm(store, { recursive: true, force: true });
      await rm(archive, { force: true });
    };
    const archiveThenLoad = `node ${JSON.stringify(main)} export ${JSON.stringify(tree)} -o type=docker,dest=${JSON.stringify(archive)},name=bench-load:1 --progress quiet && docker load -q -i ${JSON.stringify(archive)}`;
    const buildkit = 'BuildKit in dockerd (FROM scratch + COPY, vfs)';
    const coldRow = await bench.compare(
      'the real tree into the Docker Engine (vfs), cold: nothing in the Engine or the lading store',
      {
        lading: { argv: exportMoby(main, 'bench:1', tree), env, prepare: cold },
        peers: {
          [buildkit]: { argv: ['node', buildkitBuild, dockerd.socket, context, 'bench-bk:1'], prepare: cold },
          'lading type=docker,dest=F + docker load -i F': {
            argv: ['sh', '-c', archiveThenLoad],
            env,
            prepare: cold,
          },
        },
        runs: 3,
        targets: [{ peer: buildkit, maxRatio: 0.6 }],
      },
    );

    // Warm: the same tree again into an Engine that has the image (the layer cache answers, the Engine only tags).
    await cold();
    const first = exportMoby(main, 'bench:1', tree);
    await testkit.run(first[0], first.slice(1), { env: { ...process.env, ...env } });
    const warm = await bench.compare('re-export of the unchanged tree into the Engine (whole process)', {
      lading: { argv: first, env },
      runs: 5,
    });
    bench.record('re-export of the unchanged tree into the Engine', {
      value: Number(warm.rows[0].medianSeconds.toFixed(3)),
      unit: 's',
      limit: 0.5,
    });
    // The same app layer built by BuildKit on the same base in the same daemon: what vfs costs anyone.
    const appContext = join(scratch, 'app-context');
    await mkdir(appContext, { recursive: true });
    await testkit.run('cp', [join(app, 'app.bin'), join(appContext, 'app.bin')]);
    await writeFile(join(appContext, 'Dockerfile'), 'FROM bench:1\nCOPY app.bin /app.bin\n');
    await appOnTop(bench, {
      label: 'vfs',
      main,
      env,
      docker,
      tree,
      app,
      coldSeconds: coldRow.rows[0].medianSeconds,
      buildkit: {
        argv: ['node', buildkitBuild, dockerd.socket, appContext, 'bench-bk:app'],
        prepare: async () => {
          await docker(['image', 'rm', '-f', 'bench-bk:app']);
          await docker(['builder', 'prune', '-af']);
        },
      },
    });
  } finally {
    await dockerd.stop();
  }
}

async function inOverlayDaemon({ bench, testkit, tree, app, main, store }) {
  const dockerd = await testkit.startDockerd({ storageDriver: 'overlay2' });
  try {
    const env = engineEnv(dockerd, store);
    const docker = (args) => dockerd.docker(args, { allowFailure: true });
    const cold = async () => {
      await docker(['image', 'rm', '-f', 'bench:1', 'bench:app']);
      await docker(['image', 'prune', '-f']);
      await rm(store, { recursive: true, force: true });
    };
    const coldRow = await bench.compare('the real tree into a Docker Engine on overlay2, cold', {
      lading: { argv: exportMoby(main, 'bench:1', tree), env, prepare: cold },
      runs: 3,
    });
    await cold();
    const first = exportMoby(main, 'bench:1', tree);
    await testkit.run(first[0], first.slice(1), { env: { ...process.env, ...env } });
    await appOnTop(bench, {
      label: 'overlay2',
      main,
      env,
      docker,
      tree,
      app,
      coldSeconds: coldRow.rows[0].medianSeconds,
    });
  } finally {
    await dockerd.stop();
  }
}

/** A 1 MiB app layer on top of the tree, which the Engine holds as bench:1's layer: only the app layer travels. */
async function appOnTop(bench, { label, main, env, docker, tree, app, coldSeconds, buildkit }) {
  const withoutApp = async () => {
    await docker(['image', 'rm', '-f', 'bench:app']);
    await docker(['image', 'prune', '-f']);
  };
  const onTop = await bench.compare(`a 1 MiB app layer on top of the tree already in the Engine (${label})`, {
    lading: { argv: exportMoby(main, 'bench:app', tree, app), env, prepare: withoutApp },
    ...(buildkit ? { peers: { 'BuildKit: FROM bench:1 + COPY app.bin': buildkit } } : {}),
    runs: 5,
  });
  bench.record(`app layer on a base in the Engine / cold load (${label})`, {
    value: Number((onTop.rows[0].medianSeconds / coldSeconds).toFixed(4)),
    unit: 'x',
    limit: 0.1,
    ...(label === 'vfs' ? { note: 'vfs copies the whole parent layer for every new layer' } : {}),
  });
}
