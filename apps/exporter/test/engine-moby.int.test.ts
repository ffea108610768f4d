// `lading export -o type=moby` and `-o type=docker` (no dest=) into a real Docker Engine (dockerd 20.10, vfs) named
// by DOCKER_HOST. The daemon is the oracle: docker run, docker image inspect, its image events (load or tag) and
// its refusals.
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  havePeers,
  makeTempDir,
  type RunningDockerd,
  startDockerd,
  type TempDir,
  writeBusyboxRootfs,
} from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMobyExporter } from '../src/exporters/moby-exporter.js';
import { describeExporterConformance } from '../src/plugin/conformance.js';
import { lading } from './helpers.js';

const peers = havePeers('dockerd', 'docker', 'busybox');
// One daemon for the file, started at collection so the conformance kit can be pointed at it.
const started: RunningDockerd | undefined = peers ? await startDockerd() : undefined;
afterAll(async () => {
  await started?.stop();
});

describe.runIf(peers)('lading export into the Docker Engine', () => {
  const dockerd = started as RunningDockerd;
  let tmp: TempDir;
  let rootfs: string;
  let appDir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    tmp = await makeTempDir('lading-engine-export-');
    rootfs = join(tmp.path, 'rootfs');
    writeBusyboxRootfs(rootfs);
    appDir = join(tmp.path, 'app');
    mkdirSync(appDir);
    writeFileSync(join(appDir, 'greeting'), 'hello from a second layer\n');
    env = {
      DOCKER_HOST: dockerd.host,
      DOCKER_CONFIG: dockerd.env.DOCKER_CONFIG,
      LADING_STORE: join(tmp.path, 'store'),
      LADING_MOBY_ROOT: '',
    };
  }, 120_000);
  afterAll(async () => {
    await tmp?.cleanup();
  });

  const inspectId = async (name: string) =>
    (await dockerd.docker(['image', 'inspect', '--format', '{{.Id}}', name])).stdout.trim();
  const runIt = async (name: string, ...cmd: string[]) =>
    (await dockerd.docker(['run', '--rm', '--network', 'none', name, ...cmd])).stdout;
  const imageIds = async () =>
    (await dockerd.docker(['images', '-a', '-q', '--no-trunc'])).stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .sort();
  /** The daemon's image events (load, tag, ...) since `since` (seconds, to the millisecond): their actions. */
  const eventsSince = async (since: number) => {
    const until = Date.now() / 1000 + 1;
    const out = await dockerd.docker([
      'events',
      '--since',
      since.toFixed(3),
      '--until',
      until.toFixed(3),
      '--filter',
      'type=image',
      '--format',
      '{{.Action}}',
    ]);
    return out.stdout.trim().split('\n').filter(Boolean);
  };

  it('type=moby,name=app:1: docker run prints hi; Id = containerimage.digest of --metadata-file', async () => {
    const r = await lading(
      [
        'export',
        rootfs,
        '--cmd',
        '["/bin/sh","-c","echo hi"]',
        '-o',
        'type=moby,name=app:1',
        '--metadata-file',
        'meta.json',
        '--progress',
        'plain',
      ],
      { cwd: tmp.path, env },
    );
    expect(r.code).toBe(0);
    const meta = JSON.parse(await readFile(join(tmp.path, 'meta.json'), 'utf8'));
    const id = meta['containerimage.digest'];
    expect(await inspectId('app:1')).toBe(id);
    expect(await runIt('app:1')).toBe('hi\n');
    expect(r.stderr).toContain('exporting layers');
    expect(r.stderr).toContain(`writing image ${id}`);
    expect(r.stderr).toContain('naming to docker.io/library/app:1');
  });

  it('re-exporting the unchanged tree only tags: the same ID, no load', async () => {
    const args = [
      'export',
      rootfs,
      '--cmd',
      '["/bin/sh","-c","echo hi"]',
      '-o',
      'type=moby,"name=app:1,app:same"',
      '--json',
    ];
    const first = await lading(args, { cwd: tmp.path, env });
    expect(first.code).toBe(0);
    const since = Date.now() / 1000;
    const again = await lading(args, { cwd: tmp.path, env });
    expect(again.code).toBe(0);
    const id = JSON.parse(again.stdout).outputs[0].response['containerimage.digest'];
    expect(JSON.parse(first.stdout).outputs[0].response['containerimage.digest']).toBe(id);
    expect(await inspectId('app:same')).toBe(id);
    const events = await eventsSince(since);
    expect(events).toContain('tag');
    expect(events).not.toContain('load');
  });

  it('a base already in the Engine: the image on top loads, runs, and the name moves to it', async () => {
    const r = await lading(
      [
        'export',
        '--layer',
        rootfs,
        '--layer',
        appDir,
        '--cmd',
        '["/bin/cat","/greeting"]',
        '-o',
        'type=moby,name=app:1',
        '--json',
      ],
      { cwd: tmp.path, env },
    );
    expect(r.code).toBe(0);
    const id = JSON.parse(r.stdout).outputs[0].response['containerimage.digest'];
    expect(await inspectId('app:1')).toBe(id);
    expect(await runIt('app:1')).toBe('hello from a second layer\n');
    const layers = JSON.parse(
      (await dockerd.docker(['image', 'inspect', '--format', '{{json .RootFS.Layers}}', 'app:1'])).stdout,
    );
    expect(layers).toHaveLength(2);
  });

  it('type=docker without dest= loads into the Engine, as buildx does; Id = the config digest', async () => {
    const r = await lading(
      [
        'export',
        rootfs,
        '--cmd',
        '["/bin/sh","-c","echo docker"]',
        '-o',
        'type=docker,name=viadocker:1',
        '--json',
      ],
      { cwd: tmp.path, env },
    );
    expect(r.code).toBe(0);
    const response = JSON.parse(r.stdout).outputs[0].response;
    expect(await inspectId('viadocker:1')).toBe(response['containerimage.config.digest']);
    // As BuildKit's docker exporter: the names normalised.
    expect(response['image.name']).toBe('docker.io/library/viadocker:1');
    expect(await runIt('viadocker:1')).toBe('docker\n');
  });

  it('a daemon that refuses the image: its message, exit 5, nothing tagged', async () => {
    const before = await imageIds();
    const r = await lading(
      [
        'export',
        rootfs,
        '--platform',
        'windows/amd64',
        '-o',
        'type=moby,name=refused:1',
        '--progress',
        'quiet',
      ],
      { cwd: tmp.path, env },
    );
    expect(r.code).toBe(5);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(
      `the Docker Engine at ${dockerd.host} refused the image: cannot load windows image on linux`,
    );
    expect(await imageIds()).toEqual(before);
    const missing = await dockerd.docker(['image', 'inspect', 'refused:1'], { allowFailure: true });
    // the docker CLI exits 1 for an image it cannot find
    expect(missing.code).toBe(1);
  });

  it('a name moby refuses: exit 3, nothing loaded', async () => {
    const before = await imageIds();
    const since = Date.now() / 1000;
    const r = await lading(['export', rootfs, '-o', 'type=moby,"name=fine:1,sha256:1"'], {
      cwd: tmp.path,
      env,
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('refusing to create an ambiguous tag using digest algorithm as name');
    expect(await imageIds()).toEqual(before);
    expect(await eventsSince(since)).toEqual([]);
  });
});

if (started) {
  describeExporterConformance(
    'moby into the Docker Engine',
    createMobyExporter({ engineHost: started.host }),
    undefined,
    {
      attrs: () => ({ name: 'conformance:1' }),
    },
  );
}
