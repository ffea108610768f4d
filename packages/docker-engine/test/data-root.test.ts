// Bad input for writeDataRootImage: every refusal is typed, comes before anything is written where it can, and
// leaves no partial layer, image or name in the root. (No daemon needed; the int tests start dockerd on roots.)
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { exitCodeFor } from '@lading/digest';
import { writeLayer } from '@lading/layer';
import { havePeers, makeTempDir, type TempDir } from '@lading/testkit';
import { rawTar } from '@lading/testkit/layer-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDataRootImage } from '../src/index.js';
import { type Fixture, imageOf, listTree, makeFixture } from './data-root-fixture.js';

const isRoot = process.getuid?.() === 0;
const peers = havePeers('busybox');

/** What holds a layer, an image or a name in a root (the store directories themselves may exist). */
function contents(root: string, driver = 'vfs'): string[] {
  const images = join(root, 'image', driver);
  return [
    ...listTree(join(images, 'layerdb', 'sha256')).map((p) => `layerdb/${p}`),
    ...listTree(join(images, 'layerdb', 'tmp')).map((p) => `tmp/${p}`),
    ...listTree(join(images, 'imagedb', 'content', 'sha256')).map((p) => `content/${p}`),
    ...listTree(join(root, driver, 'dir')).map((p) => `dir/${p}`),
    ...(existsSync(join(images, 'repositories.json')) ? ['repositories.json'] : []),
  ];
}

describe.skipIf(!isRoot || !peers)('writeDataRootImage refuses bad input', () => {
  let tmp: TempDir;
  let fx: Fixture;
  let n = 0;
  const freshRoot = () => join(tmp.path, `root-${n++}`);
  beforeAll(async () => {
    tmp = await makeTempDir('lading-data-root-bad-');
    fx = await makeFixture(tmp.path);
  });
  afterAll(async () => {
    await tmp?.cleanup();
  });

  it.each([
    ['a digest reference', `app@sha256:${'a'.repeat(64)}`, 'TAG_WITH_DIGEST'],
    ['the ambiguous name sha256', 'sha256:1', 'AMBIGUOUS_TAG'],
    ['an invalid name', 'Bad/Name', 'INVALID_REFERENCE'],
  ])('%s as a name, before the root is touched', async (_what, name, code) => {
    const root = freshRoot();
    const e = await writeDataRootImage(root, fx.image1, { provider: fx.store, names: ['ok:1', name] }).catch(
      (x: unknown) => x,
    );
    expect(e).toMatchObject({ kind: 'invalid-input' });
    if (code !== 'INVALID_REFERENCE') expect(e).toMatchObject({ code });
    expect(exitCodeFor(e)).toBe(3);
    expect(existsSync(root)).toBe(false);
  });

  it.each([
    ['not JSON', '{', 'not valid JSON'],
    ['no rootfs', '{"os":"linux"}', 'no RootFS key'],
    [
      'a Windows image',
      JSON.stringify({ os: 'windows', rootfs: { type: 'layers', diff_ids: [] } }),
      'cannot load windows image on linux',
    ],
    [
      'diff_ids that are not the layers',
      JSON.stringify({ os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }),
      'are not the 2 layer(s)',
    ],
  ])('a config with %s, before the root is touched', async (_what, config, message) => {
    const root = freshRoot();
    const e = await writeDataRootImage(
      root,
      { config: Buffer.from(config), layers: fx.image1.layers },
      { provider: fx.store },
    ).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'CONFIG_INVALID' });
    expect((e as Error).message).toContain(message);
    expect(existsSync(root)).toBe(false);
  });

  it('more non-empty history entries than layers (moby refuses the config)', async () => {
    const image = imageOf([fx.base], ['/bin/sh']);
    const config = JSON.parse(image.config.toString());
    config.history.push({ created_by: 'one too many' });
    const e = await writeDataRootImage(
      freshRoot(),
      { config: Buffer.from(JSON.stringify(config)), layers: image.layers },
      { provider: fx.store },
    ).catch((x: unknown) => x);
    expect((e as Error).message).toContain('too many non-empty layers in History section');
  });

  it.each([
    [
      'a name that climbs out',
      [
        { name: 'ok', content: 'fine' },
        { name: '../escape', content: 'out' },
      ],
    ],
    [
      'a symlink that leads out',
      [
        { name: 'up', type: '2' as const, linkname: '../../../..' },
        { name: 'up/escape', content: 'out' },
      ],
    ],
  ])(
    'a hostile layer (%s): refused, nothing of it anywhere, nothing outside the root',
    async (_what, entries) => {
      const root = freshRoot();
      const hostile = await writeLayer(Readable.from([rawTar(entries)]), fx.store);
      const e = await writeDataRootImage(root, imageOf([fx.base, hostile], ['/bin/sh']), {
        provider: fx.store,
        names: ['hostile:1'],
      }).catch((x: unknown) => x);
      expect(e).toMatchObject({ code: 'UNSAFE_TAR_ENTRY' });
      expect(exitCodeFor(e)).toBe(3);
      // The base layer before it is whole in the store (a later export reuses it); the hostile one left nothing,
      // and there is no image and no name.
      const left = contents(root);
      expect(readdirSync(join(root, 'image', 'vfs', 'layerdb', 'sha256'))).toEqual([fx.base.diffId.slice(7)]);
      expect(
        left.filter((p) => p.startsWith('tmp/') || p.startsWith('content/') || p === 'repositories.json'),
      ).toEqual([]);
      expect(readdirSync(join(root, 'vfs', 'dir'))).toHaveLength(1);
      for (const p of [join(root, 'vfs', 'escape'), join(root, 'vfs', 'dir', 'escape'), join(root, 'escape')])
        expect(existsSync(p), p).toBe(false);
      expect(existsSync(join(tmp.path, 'escape'))).toBe(false);
    },
  );

  it('a layer whose bytes are not its diffID: IntegrityError (exit 6), nothing of it kept', async () => {
    const root = freshRoot();
    const lying = { ...fx.upper, diffId: fx.extra.diffId };
    const e = await writeDataRootImage(root, imageOf([fx.base, lying], ['/bin/sh']), {
      provider: fx.store,
    }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'DIFFID_MISMATCH' });
    expect(exitCodeFor(e)).toBe(6);
    expect(readdirSync(join(root, 'image', 'vfs', 'layerdb', 'sha256'))).toEqual([fx.base.diffId.slice(7)]);
    expect(readdirSync(join(root, 'vfs', 'dir'))).toHaveLength(1);
    expect(contents(root).filter((p) => p.startsWith('tmp/') || p.startsWith('content/'))).toEqual([]);
  });

  it('an abort mid-layer: AbortError, the staging removed, no image', async () => {
    const root = freshRoot();
    const controller = new AbortController();
    const e = await writeDataRootImage(root, fx.image1, {
      provider: fx.store,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.kind === 'layer' && p.state === 'writing' && (p.bytes ?? 0) > 0) controller.abort();
      },
    }).catch((x: unknown) => x);
    expect((e as Error).name).toBe('AbortError');
    expect(exitCodeFor(e)).toBe(130);
    expect(contents(root)).toEqual([]);
  });

  it('a root a daemon holds (a bolt lock on its metadata), named by pid', async () => {
    const root = freshRoot();
    mkdirSync(join(root, 'volumes'), { recursive: true });
    writeFileSync(join(root, 'volumes', 'metadata.db'), '');
    // flock(1) holds the lock the way bolt does (flock LOCK_EX) while its child sleeps.
    const holder = spawn('flock', ['-x', join(root, 'volumes', 'metadata.db'), 'sleep', '60'], {
      stdio: 'ignore',
    });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const e = await writeDataRootImage(root, fx.image1, { provider: fx.store }).catch((x: unknown) => x);
      expect(e).toMatchObject({ code: 'DATA_ROOT_IN_USE' });
      expect((e as Error).message).toContain(`pid ${holder.pid}, flock: it holds volumes/metadata.db locked`);
      expect(listTree(root)).toEqual(['volumes', 'volumes/metadata.db']);
    } finally {
      holder.kill();
    }
  });

  it('a root holding images of several drivers, with none chosen', async () => {
    const root = freshRoot();
    mkdirSync(join(root, 'image', 'vfs'), { recursive: true });
    mkdirSync(join(root, 'image', 'overlay2'), { recursive: true });
    const e = await writeDataRootImage(root, fx.image1, { provider: fx.store }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'DATA_ROOT_DRIVER_AMBIGUOUS' });
    expect(listTree(root)).toEqual(['image', 'image/overlay2', 'image/vfs']);
    const other = freshRoot();
    mkdirSync(join(other, 'image', 'btrfs'), { recursive: true });
    const unsupported = await writeDataRootImage(other, fx.image1, { provider: fx.store }).catch(
      (x: unknown) => x,
    );
    expect(unsupported).toMatchObject({ code: 'DATA_ROOT_DRIVER_UNSUPPORTED' });
  });
});

describe.skipIf(!isRoot || !peers)('writeDataRootImage names images as moby does', () => {
  let tmp: TempDir;
  let fx: Fixture;
  beforeAll(async () => {
    tmp = await makeTempDir('lading-data-root-names-');
    fx = await makeFixture(tmp.path);
  });
  afterAll(async () => {
    await tmp?.cleanup();
  });

  it('a name another image holds moves to the new one (moby tags with force); the old image stays by ID', async () => {
    const { readFileSync } = await import('node:fs');
    const root = join(tmp.path, 'root');
    await writeDataRootImage(root, fx.image1, { provider: fx.store, names: ['app:1', 'keep:1'] });
    await writeDataRootImage(root, fx.image2, { provider: fx.store, names: ['app:1'] });
    const repos = JSON.parse(readFileSync(join(root, 'image', 'vfs', 'repositories.json'), 'utf8'));
    expect(repos.Repositories.app['app:1']).toBe(fx.image2.id);
    expect(repos.Repositories.keep['keep:1']).toBe(fx.image1.id);
    expect(contents(root)).toContain(`content/${fx.image1.id.slice('sha256:'.length)}`);
  });
});
