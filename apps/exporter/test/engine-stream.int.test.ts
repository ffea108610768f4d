// type=moby into a real Docker Engine (dockerd 20.10, vfs): a layer built from a tree travels to the daemon while it
// is built. The daemon is the oracle: its temporary load directory holds the layer's bytes before the build is done,
// `docker run` reads the files, its image ID is the config digest; an export cut in the middle leaves the daemon as
// it was (no image, no layer, its temporary directory cleared).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  havePeers,
  type PeerSetup,
  type RunningDockerd,
  setUpPeer,
  startDockerd,
  type TempDir,
} from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportImage } from '../src/operations/export.js';

const peers = havePeers('dockerd', 'docker', 'busybox');

/** The layer tars the daemon's loader is untarring now (`image/tarexport/load.go` untars into TMPDIR first). */
function loadingLayerBytes(dataRoot: string): number {
  const tmp = join(dataRoot, 'tmp');
  if (!existsSync(tmp)) return 0;
  let bytes = 0;
  for (const d of readdirSync(tmp)) {
    if (!d.startsWith('docker-import-')) continue;
    for (const f of readdirSync(join(tmp, d))) {
      if (f.startsWith('layer-')) bytes += statSync(join(tmp, d, f)).size;
    }
  }
  return bytes;
}

const loadDirs = (dataRoot: string) =>
  existsSync(join(dataRoot, 'tmp'))
    ? readdirSync(join(dataRoot, 'tmp')).filter((d) => d.startsWith('docker-import-'))
    : [];

async function until(check: () => boolean | Promise<boolean>, ms = 20_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

describe.runIf(peers)('type=moby streams a layer into the Engine while it is built', () => {
  let dockerd: RunningDockerd;
  let tmp: TempDir;
  let rootfs: string;
  let dataDigest: string;
  const saved = { host: process.env.DOCKER_HOST, config: process.env.DOCKER_CONFIG };

  let peer: PeerSetup<RunningDockerd> | undefined;
  beforeAll(async () => {
    peer = await setUpPeer(startDockerd(), 'lading-engine-stream-', { busybox: true });
    ({ daemon: dockerd, dir: tmp, rootfs } = peer);
    process.env.DOCKER_HOST = dockerd.host;
    process.env.DOCKER_CONFIG = dockerd.env.DOCKER_CONFIG;
    // 48 MiB that neither compresses nor repeats: the build takes many chunks.
    mkdirSync(join(rootfs, 'data'));
    const data = Buffer.alloc(48 << 20);
    for (let i = 0; i < data.length; i += 32) createHash('sha256').update(String(i)).digest().copy(data, i);
    writeFileSync(join(rootfs, 'data', 'blob'), data);
    dataDigest = createHash('sha256').update(data).digest('hex');
  }, 180_000);
  afterAll(async () => {
    process.env.DOCKER_HOST = saved.host;
    process.env.DOCKER_CONFIG = saved.config;
    await peer?.stop();
  });

  const quiet = { warn: () => {}, debug: () => {} };
  const progress = { start() {}, update() {}, done() {} };
  const run = async (name: string, ...cmd: string[]) =>
    (await dockerd.docker(['run', '--rm', '--network', 'none', name, ...cmd])).stdout;

  it('the daemon holds layer bytes before the build is done; the image runs and its ID is the config digest', async () => {
    const debug: string[] = [];
    let seenDuringBuild = 0;
    const result = await exportImage({
      layers: [{ kind: 'dir', path: rootfs }],
      outputs: [{ type: 'moby', attrs: { name: 'streamed:1' } }],
      storeDir: join(tmp.path, 'store-a'),
      cwd: tmp.path,
      logger: { warn: () => {}, debug: (m) => debug.push(m) },
      progress: {
        ...progress,
        bytes(_id, _name, current) {
          // Halfway through the build, the daemon's loader must already have bytes of the layer on disk.
          if (current > 32 << 20 && seenDuringBuild === 0)
            seenDuringBuild = loadingLayerBytes(dockerd.dataRoot);
        },
      },
    });
    expect(debug.some((m) => m.includes('sent to the Docker Engine while it is built'))).toBe(true);
    expect(seenDuringBuild).toBeGreaterThan(0);
    const id = result.outputs[0]?.response['containerimage.digest'];
    const inspect = JSON.parse((await dockerd.docker(['image', 'inspect', 'streamed:1'])).stdout)[0];
    expect(inspect.Id).toBe(id);
    expect(inspect.RootFS.Layers).toEqual([result.source.ref?.layers[0]?.diffId]);
    expect((await run('streamed:1', 'sha256sum', '/data/blob')).split(' ')[0]).toBe(dataDigest);
    expect(loadDirs(dockerd.dataRoot)).toEqual([]);
  }, 180_000);

  it('a layer the cache answers goes from the store (nothing streamed), and the image loads', async () => {
    const debug: string[] = [];
    const result = await exportImage({
      layers: [{ kind: 'dir', path: rootfs }],
      outputs: [{ type: 'moby', attrs: { name: 'streamed:2' } }],
      // Another config, so the Engine has no such image yet, over the same (cached) layer.
      edits: { env: ['FROM_CACHE=1'] },
      storeDir: join(tmp.path, 'store-a'),
      cwd: tmp.path,
      logger: { warn: () => {}, debug: (m) => debug.push(m) },
      progress,
    });
    expect(debug.some((m) => m.includes('while it is built'))).toBe(false);
    expect(debug.some((m) => m.includes('(cached)'))).toBe(true);
    const id = result.outputs[0]?.response['containerimage.digest'];
    expect(
      (await dockerd.docker(['image', 'inspect', '--format', '{{.Id}}', 'streamed:2'])).stdout.trim(),
    ).toBe(id);
    expect(await run('streamed:2', 'sh', '-c', 'echo $FROM_CACHE')).toBe('1\n');
  }, 180_000);

  it('an export cut while the layer streams leaves the daemon as it was', async () => {
    // Sorted: the two images above share their created time (a cached layer keeps it), so the daemon's own
    // order between them is not stable.
    const imageIds = async () =>
      (await dockerd.docker(['images', '-a', '-q', '--no-trunc'])).stdout.trim().split('\n').sort();
    const before = await imageIds();
    const layerDb = join(dockerd.dataRoot, 'image', 'vfs', 'layerdb', 'sha256');
    const layersBefore = readdirSync(layerDb).sort();
    const stop = new AbortController();
    let streaming = false;
    const failed = exportImage({
      layers: [{ kind: 'dir', path: rootfs }],
      outputs: [{ type: 'moby', attrs: { name: 'streamed:cut' } }],
      // Another tree key (an epoch), so the layer is built, not taken from the cache.
      epoch: new Date(1_000_000_000_000),
      storeDir: join(tmp.path, 'store-b'),
      cwd: tmp.path,
      signal: stop.signal,
      logger: quiet,
      progress: {
        ...progress,
        bytes(_id, _name, current) {
          if (current > 16 << 20 && !stop.signal.aborted) {
            streaming = loadingLayerBytes(dockerd.dataRoot) > 0;
            stop.abort(new Error('cut by the test'));
          }
        },
      },
    });
    await expect(failed).rejects.toThrow('cut by the test');
    expect(streaming).toBe(true);
    expect(await until(() => loadDirs(dockerd.dataRoot).length === 0)).toBe(true);
    expect(await imageIds()).toEqual(before);
    expect(readdirSync(layerDb).sort()).toEqual(layersBefore);
    const tagged = await dockerd.docker(['image', 'inspect', 'streamed:cut'], { allowFailure: true });
    expect(tagged.code).not.toBe(0);
  }, 180_000);
});
