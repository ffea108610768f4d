// The client against the real thing: Debian's dockerd 20.10 (vfs), started by testkit on its own socket. The
// daemon's own answers (docker run, docker image inspect, its refusals) are the oracle; image IDs are computed
// here over the config bytes the test wrote.
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createMemoryStore, type FullStore } from '@lading/content-store';
import { type Digest, exitCodeFor, isLadingError } from '@lading/digest';
import { buildLayer } from '@lading/layer';
import { parseNormalizedReference } from '@lading/reference-store/reference';
import {
  havePeers,
  type PeerSetup,
  type RunningDockerd,
  run,
  setUpPeer,
  startDockerd,
  type TempDir,
} from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkEngineTag,
  dockerArchiveStream,
  type EngineClient,
  type EngineLayer,
  findHeldChains,
  type ImageInspect,
  type ImageSummary,
  isEngineError,
  listImageLayers,
  loadImage,
  openEngineClient,
} from '../src/index.js';

const sha256 = (b: Uint8Array | string) => `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;
const enc = new TextEncoder();

describe.runIf(havePeers('dockerd', 'docker', 'busybox', 'tar'))('the Engine client against dockerd', () => {
  let dockerd: RunningDockerd;
  let engine: EngineClient;
  let tmp: TempDir;
  let store: FullStore;
  let base: EngineLayer;
  let app: EngineLayer;

  async function layerOf(dir: string): Promise<EngineLayer> {
    const built = await buildLayer(dir, store);
    return {
      diffId: built.diffId,
      descriptor: built.descriptor,
      open: (o) => store.read(built.descriptor, o),
    };
  }

  function configFor(
    layers: readonly EngineLayer[],
    cmd: string[],
    extra: Record<string, unknown> = {},
  ): Uint8Array {
    return enc.encode(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: { Cmd: cmd, Env: ['PATH=/bin'] },
        rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
        ...extra,
      }),
    );
  }

  const names = (...n: string[]) => n.map((x) => parseNormalizedReference(x));
  /** A client that counts the archives it sends. */
  const counting = () => {
    const Base = engine.constructor as typeof import('../src/index.js').EngineClient;
    class Counting extends Base {
      loads = 0;
      override loadArchive(...args: Parameters<EngineClient['loadArchive']>) {
        this.loads++;
        return super.loadArchive(...args);
      }
    }
    return new Counting(engine.endpoint);
  };
  const inspectId = async (name: string) =>
    (await dockerd.docker(['image', 'inspect', '--format', '{{.Id}}', name])).stdout.trim();
  const allImageIds = async () =>
    (await dockerd.docker(['images', '-a', '-q', '--no-trunc'])).stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .sort();

  let peer: PeerSetup<RunningDockerd> | undefined;
  beforeAll(async () => {
    peer = await setUpPeer(startDockerd(), 'lading-engine-int-', { busybox: true });
    ({ daemon: dockerd, dir: tmp } = peer);
    engine = await openEngineClient({ env: dockerd.env });
    store = createMemoryStore();
    base = await layerOf(peer.rootfs);
    const appDir = join(tmp.path, 'app');
    mkdirSync(appDir);
    writeFileSync(join(appDir, 'hello.txt'), 'hello from the app layer\n');
    app = await layerOf(appDir);
  }, 120_000);
  afterAll(async () => {
    engine?.close();
    await peer?.stop();
  });

  it('negotiates the daemon API version the docker CLI reports', async () => {
    const cli = (await dockerd.docker(['version', '--format', '{{.Server.APIVersion}}'])).stdout.trim();
    expect(await engine.apiVersion()).toBe(cli);
    expect((await engine.version()).ApiVersion).toBe(cli);
    expect((await engine.ping()).osType).toBe('linux');
  });

  it('loads an image that runs; its ID is the config digest; a second load of it is only a tag', async () => {
    const config = configFor([base], ['/bin/sh', '-c', 'echo hi']);
    const first = await loadImage(engine, { config, layers: [base], names: names('bb:1') });
    expect(first).toMatchObject({
      id: sha256(config),
      loaded: true,
      layersSent: 1,
      layersReused: 0,
      tags: ['bb:1'],
    });
    expect(first.bytesSent).toBe(base.descriptor.size);
    expect(await inspectId('bb:1')).toBe(sha256(config));
    expect((await dockerd.docker(['run', '--rm', '--network', 'none', 'bb:1'])).stdout).toBe('hi\n');
    const again = await loadImage(engine, { config, layers: [base], names: names('bb:again') });
    expect(again).toMatchObject({ loaded: false, layersSent: 0, bytesSent: 0 });
    expect(await inspectId('bb:again')).toBe(sha256(config));
  });

  it('a layer whose chain the Engine holds travels as a placeholder, and the image runs', async () => {
    const config = configFor([base, app], ['/bin/cat', '/hello.txt']);
    expect(await findHeldChains(engine, [base.diffId, sha256(`${base.diffId} ${app.diffId}`)])).toEqual(
      new Set([base.diffId]),
    );
    const result = await loadImage(engine, { config, layers: [base, app], names: names('app:1') });
    expect(result).toMatchObject({ loaded: true, layersSent: 1, layersReused: 1 });
    expect(result.bytesSent).toBe(app.descriptor.size);
    expect((await dockerd.docker(['run', '--rm', '--network', 'none', 'app:1'])).stdout).toBe(
      'hello from the app layer\n',
    );
    const inspect = await engine.inspectImage('app:1');
    expect(inspect.RootFS?.Layers).toEqual([base.diffId, app.diffId]);
    const listed = (await listImageLayers(engine)).find((i) => i.repoTags.includes('app:1'));
    expect(listed).toEqual({ id: sha256(config), repoTags: ['app:1'], layers: [base.diffId, app.diffId] });
  });

  it('a placeholder without its chain is refused cleanly by dockerd ("invalid diffID"), nothing stored', async () => {
    const dir = join(tmp.path, 'fresh');
    mkdirSync(dir);
    writeFileSync(join(dir, 'new.txt'), `never loaded ${Date.now()}\n`);
    const fresh = await layerOf(dir);
    const config = configFor([fresh], ['/x']);
    const before = await allImageIds();
    const e = await engine
      .loadArchive(
        dockerArchiveStream({ config, layers: [fresh], placeholders: new Set([0]), repoTags: ['ph:1'] }),
      )
      .catch((x: unknown) => x);
    expect(isEngineError(e) && e.code).toBe('ENGINE_LOAD_REFUSED');
    expect((e as Error).message).toMatch(/invalid diffID for layer 0/);
    expect(await allImageIds()).toEqual(before);
    expect(await engine.findImage('ph:1')).toBeUndefined();
  });

  it('lading never sends a placeholder for a chain the Engine lacks', async () => {
    const dir = join(tmp.path, 'fresh2');
    mkdirSync(dir);
    writeFileSync(join(dir, 'new.txt'), `also never loaded ${Date.now()}\n`);
    const fresh = await layerOf(dir);
    expect(await findHeldChains(engine, [fresh.diffId])).toEqual(new Set());
    // The app layer alone is not the chain base+app: it is not held either.
    expect(await findHeldChains(engine, [app.diffId])).toEqual(new Set());
    const config = configFor([fresh, app], ['/x']);
    const client = counting();
    const result = await loadImage(client, { config, layers: [fresh, app], names: names('fresh:1') });
    client.close();
    // one archive, accepted: no placeholder was tried and refused first
    expect(client.loads).toBe(1);
    expect(result).toMatchObject({ loaded: true, layersSent: 2, layersReused: 0 });
    expect(await inspectId('fresh:1')).toBe(sha256(config));
  });

  it('a held chain that vanished before the load: refused, then sent whole, once', async () => {
    const dir = join(tmp.path, 'fresh3');
    mkdirSync(dir);
    writeFileSync(join(dir, 'new.txt'), `vanishing ${Date.now()}\n`);
    const fresh = await layerOf(dir);
    // An Engine whose listing claims an image with that layer (as if it was removed right after the listing).
    const Base = engine.constructor as typeof import('../src/index.js').EngineClient;
    class Lying extends Base {
      loads = 0;
      override loadArchive(...args: Parameters<EngineClient['loadArchive']>) {
        this.loads++;
        return super.loadArchive(...args);
      }
      override async listImages(): Promise<ImageSummary[]> {
        return [{ Id: 'sha256:gone', RepoTags: null, RepoDigests: null, Created: 0, Size: 0 }];
      }
      override async findImage(name: string, options = {}): Promise<ImageInspect | undefined> {
        if (name === 'sha256:gone') {
          return {
            Id: name,
            RepoTags: null,
            RepoDigests: null,
            RootFS: { Type: 'layers', Layers: [fresh.diffId] },
          };
        }
        return super.findImage(name, options);
      }
    }
    const lying = new Lying(engine.endpoint);
    const config = configFor([fresh], ['/x']);
    const result = await loadImage(lying, { config, layers: [fresh], names: names('vanished:1') });
    lying.close();
    expect(lying.loads).toBe(2);
    expect(result).toMatchObject({ loaded: true, layersSent: 1, layersReused: 0 });
    expect(await inspectId('vanished:1')).toBe(sha256(config));
  });

  it('refuses the names dockerd refuses, with its words, before sending anything', async () => {
    const id = sha256(configFor([base], ['/bin/sh', '-c', 'echo hi']));
    const daemonSays = async (repo: string, tag: string) => {
      const res = await dockerd.api(
        'POST',
        `/v1.41/images/${id}/tag?repo=${encodeURIComponent(repo)}&tag=${tag}`,
      );
      return { status: res.status, message: JSON.parse(res.body.toString()).message as string };
    };
    const ambiguous = await daemonSays('sha256', 'x');
    expect(ambiguous.status).toBeGreaterThanOrEqual(400);
    expect(ambiguous.message).toContain('refusing to create an ambiguous tag using digest algorithm as name');
    const ours = (() => {
      try {
        return checkEngineTag(parseNormalizedReference('sha256:x'));
      } catch (e) {
        return e;
      }
    })();
    expect((ours as Error).message).toContain(
      'refusing to create an ambiguous tag using digest algorithm as name',
    );
    expect(exitCodeFor(ours)).toBe(3);
    const digested = await daemonSays(`app@${sha256('x')}`, '');
    expect(digested.message).toContain('refusing to create a tag with a digest reference');
    const before = await allImageIds();
    const e = await loadImage(engine, {
      config: configFor([base], ['/new']),
      layers: [base],
      names: names(`app@${sha256('x')}`),
    }).catch((x: unknown) => x);
    expect(isLadingError(e) && e.code).toBe('ENGINE_TAG_DIGEST');
    expect((e as Error).message).toContain('refusing to create a tag with a digest reference');
    expect(await allImageIds()).toEqual(before);
    // familiar sha256 only: localhost/sha256 is another repository
    expect(checkEngineTag(parseNormalizedReference('localhost/sha256:x')).repository).toBe('sha256');
  });

  it('zstd layers are refused before sending to a daemon older than Docker 23', async () => {
    const zstd = {
      ...base,
      descriptor: { ...base.descriptor, mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd' },
    };
    const e = await loadImage(engine, { config: configFor([zstd], ['/z']), layers: [zstd], names: [] }).catch(
      (x: unknown) => x,
    );
    expect(isLadingError(e) && e.code).toBe('ENGINE_ZSTD_UNSUPPORTED');
    expect(exitCodeFor(e)).toBe(3);
  });

  it('an existing tag moves to the new image, as moby tags with force', async () => {
    const a = configFor([base], ['/bin/sh', '-c', 'echo a']);
    const b = configFor([base], ['/bin/sh', '-c', 'echo b']);
    await loadImage(engine, { config: a, layers: [base], names: names('move:1') });
    expect(await inspectId('move:1')).toBe(sha256(a));
    await loadImage(engine, { config: b, layers: [base], names: names('move:1') });
    expect(await inspectId('move:1')).toBe(sha256(b));
    expect((await dockerd.docker(['run', '--rm', '--network', 'none', 'move:1'])).stdout).toBe('b\n');
  });

  it('saves an image as docker save does, and removes a tag', async () => {
    const stream = await engine.saveImage('bb:1');
    const file = join(tmp.path, 'saved.tar');
    await pipeline(stream, createWriteStream(file));
    const manifest = JSON.parse((await run('tar', ['-xOf', file, 'manifest.json'])).stdout);
    expect(manifest[0].RepoTags).toContain('bb:1');
    expect(manifest[0].Config).toContain(sha256(configFor([base], ['/bin/sh', '-c', 'echo hi'])).slice(7));
    const removed = await engine.removeImage('bb:again');
    expect(removed).toContainEqual({ Untagged: 'bb:again' });
    expect(await engine.findImage('bb:again')).toBeUndefined();
    const missing = await engine.saveImage('no-such:1').catch((x: unknown) => x);
    expect(exitCodeFor(missing)).toBe(4);
  });
});
