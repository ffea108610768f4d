// writeDataRootImage against the real dockerd 20.10: a root lading wrote is one a fresh daemon starts on, lists,
// runs and saves with the same layer digests; its layer store holds what dockerd itself writes for the same layers
// after `docker load`; a root dockerd wrote takes lading's images beside its own.
import { execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { exitCodeFor } from '@lading/digest';
import {
  havePeers,
  makeTempDir,
  type RunningDockerd,
  run,
  startDockerd,
  type TempDir,
} from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TarSplitter, writeDataRootImage } from '../src/index.js';
import {
  cacheIdOf,
  chainIdsOf,
  driverTree,
  type Fixture,
  layerdbEntry,
  listTree,
  makeFixture,
  sha256,
} from './data-root-fixture.js';

const peers = havePeers('dockerd', 'docker', 'busybox', 'tar');
const slow = 240_000;

/** `docker save` of one image, unpacked here: the config's digest and the sha256 of each layer file. */
async function savedDigests(d: RunningDockerd, name: string, dir: string) {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'saved.tar');
  await d.docker(['save', '-o', file, name]);
  const out = join(dir, 'saved');
  mkdirSync(out, { recursive: true });
  await run('tar', ['-xf', file, '-C', out]);
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as {
    Config: string;
    Layers: string[];
  }[];
  const m = manifest[0] as { Config: string; Layers: string[] };
  return {
    file,
    config: sha256(readFileSync(join(out, m.Config))),
    layers: m.Layers.map((l) => sha256(readFileSync(join(out, l)))),
  };
}

async function images(d: RunningDockerd): Promise<string[]> {
  const r = await d.docker(['images', '--no-trunc', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']);
  return r.stdout.trim().split('\n').filter(Boolean).sort();
}

/** The driver directory of each layer of a chain (vfs: the whole tree; overlay2: the layer's diff). */
function layerTrees(root: string, driver: 'vfs' | 'overlay2', chainIds: readonly string[]) {
  return chainIds.map((c) => {
    const id = cacheIdOf(root, driver, c);
    return driverTree(driver === 'vfs' ? join(root, 'vfs', 'dir', id) : join(root, 'overlay2', id, 'diff'));
  });
}

describe.skipIf(!peers).each(['vfs', 'overlay2'] as const)('a data-root for %s', (driver) => {
  let tmp: TempDir;
  let fx: Fixture;
  let root: string;
  /** A dockerd on `dataRoot` for the length of `fn`. */
  const withDaemon = async <T>(dataRoot: string, fn: (d: RunningDockerd) => Promise<T>): Promise<T> => {
    const d = await startDockerd({ storageDriver: driver, dataRoot });
    try {
      return await fn(d);
    } finally {
      await d.stop();
    }
  };

  beforeAll(async () => {
    tmp = await makeTempDir(`lading-data-root-${driver}-`);
    fx = await makeFixture(tmp.path);
    root = join(tmp.path, 'root');
  }, slow);
  afterAll(async () => {
    await tmp?.cleanup();
  }, slow);

  it(
    'an empty DIR becomes a root a fresh dockerd starts on: it lists the image under its names, runs it and saves the same layers',
    async () => {
      const result = await writeDataRootImage(root, fx.image1, {
        provider: fx.store,
        names: ['app:1', 'example.com/team/app:2'],
        driver,
      });
      expect(result.id).toBe(fx.image1.id);
      expect(result.driver).toBe(driver);
      expect(result.names).toEqual(['app:1', 'example.com/team/app:2']);
      const saved = await withDaemon(root, async (d) => {
        expect(await images(d)).toEqual([`app:1 ${fx.image1.id}`, `example.com/team/app:2 ${fx.image1.id}`]);
        const inspected = JSON.parse((await d.docker(['image', 'inspect', 'app:1'])).stdout)[0];
        expect(inspected.Id).toBe(fx.image1.id);
        expect(inspected.RootFS.Layers).toEqual(fx.image1.layers.map((l) => l.diffId));
        expect((await d.docker(['run', '--rm', '--network', 'none', 'app:1'])).stdout).toBe('new\n');
        // The upper layer's whiteouts hide the base's files; its hard link and long name are there.
        const look = await d.docker([
          'run',
          '--rm',
          '--network',
          'none',
          'app:1',
          'sh',
          '-c',
          [
            `cat /etc/new-hard /deep/${'x'.repeat(120)}`,
            'ls /opq',
            'test -e /etc/gone || echo gone is hidden',
            'test /etc/new -ef /etc/new-hard && echo hard-linked',
            'busybox stat -c %u:%g /home/user/owned',
            'test -p /etc/fifo && echo fifo',
            'cat /etc/hello-link',
          ].join('; '),
        ]);
        expect(look.stdout).toBe(
          'new\na long name\nc\ngone is hidden\nhard-linked\n1000:1000\nfifo\nhello\n',
        );
        // A daemon on the root: lading refuses it (the pid file is elsewhere; its locks tell).
        const busy = await writeDataRootImage(root, fx.image2, { provider: fx.store }).catch(
          (e: unknown) => e,
        );
        expect(busy).toMatchObject({ code: 'DATA_ROOT_IN_USE' });
        expect(exitCodeFor(busy)).toBe(3);
        // docker save puts the tars back together from tar-split and the driver's files: lading's diffIDs.
        return savedDigests(d, 'app:1', join(tmp.path, 'save1'));
      });
      expect(saved.config).toBe(fx.image1.id);
      expect(saved.layers).toEqual(fx.image1.layers.map((l) => l.diffId));
      expect(saved.layers[1]).toBe(sha256(fx.upperTar));

      // The same image through `docker load` into a root dockerd writes itself: the same layer store and trees.
      const theirs = join(tmp.path, 'loaded-root');
      await withDaemon(theirs, (other) => other.docker(['load', '-i', saved.file]));
      const chains = chainIdsOf(fx.image1.layers.map((l) => l.diffId));
      for (const c of chains) expect(layerdbEntry(root, driver, c)).toEqual(layerdbEntry(theirs, driver, c));
      expect(layerTrees(root, driver, chains)).toEqual(layerTrees(theirs, driver, chains));
      expect(
        readFileSync(join(root, 'image', driver, 'imagedb', 'content', 'sha256', fx.image1.id.slice(7))),
      ).toEqual(
        readFileSync(join(theirs, 'image', driver, 'imagedb', 'content', 'sha256', fx.image1.id.slice(7))),
      );
    },
    slow,
  );

  it(
    'a second export on top of the first reuses the base layer; the daemon runs both images',
    async () => {
      const chains1 = chainIdsOf(fx.image1.layers.map((l) => l.diffId));
      const chains2 = chainIdsOf(fx.image2.layers.map((l) => l.diffId));
      const layerdb = join(root, 'image', driver, 'layerdb', 'sha256');
      const before = readdirSync(layerdb).sort();
      const baseDir = join(layerdb, (chains1[0] as string).slice(7));
      const baseStat = statSync(join(baseDir, 'tar-split.json.gz'));
      const result = await writeDataRootImage(root, fx.image2, { provider: fx.store, names: ['app2:1'] });
      expect(result.driver).toBe(driver); // taken from the root
      expect(result.layers.map((l) => l.reused)).toEqual([true, false]);
      expect(readdirSync(layerdb).sort()).toEqual([...before, (chains2[1] as string).slice(7)].sort());
      expect(statSync(join(baseDir, 'tar-split.json.gz')).mtimeMs).toBe(baseStat.mtimeMs);
      expect(result.layers[0]?.cacheId).toBe(cacheIdOf(root, driver, chains1[0] as string));
      // The same image again: nothing new anywhere.
      const again = await writeDataRootImage(root, fx.image2, { provider: fx.store, names: ['app2:1'] });
      expect(again.layers.every((l) => l.reused)).toBe(true);
      expect(readdirSync(layerdb).length).toBe(before.length + 1);
      await withDaemon(root, async (d) => {
        expect((await d.docker(['run', '--rm', '--network', 'none', 'app2:1'])).stdout).toBe('app2\n');
        expect((await d.docker(['run', '--rm', '--network', 'none', 'app:1'])).stdout).toBe('new\n');
        const saved = await savedDigests(d, 'app2:1', join(tmp.path, 'save2'));
        expect(saved.layers).toEqual(fx.image2.layers.map((l) => l.diffId));
      });
    },
    slow,
  );

  it(
    'a root a real dockerd wrote takes a lading image beside its own, reusing the layer it loaded',
    async () => {
      const theirs = join(tmp.path, 'dockerd-root');
      await withDaemon(theirs, (d) => d.docker(['load', '-i', join(tmp.path, 'save1', 'saved.tar')]));
      const result = await writeDataRootImage(theirs, fx.image2, { provider: fx.store, names: ['app2:1'] });
      expect(result.layers.map((l) => l.reused)).toEqual([true, false]);
      await withDaemon(theirs, async (d) => {
        expect(await images(d)).toEqual([`app2:1 ${fx.image2.id}`, `app:1 ${fx.image1.id}`].sort());
        expect((await d.docker(['run', '--rm', '--network', 'none', 'app:1'])).stdout).toBe('new\n');
        expect((await d.docker(['run', '--rm', '--network', 'none', 'app2:1'])).stdout).toBe('app2\n');
      });
    },
    slow,
  );

  it('refuses a root of another driver, and writes nothing there', async () => {
    const otherDriver = driver === 'vfs' ? 'overlay2' : 'vfs';
    const before = listTree(root);
    const e = await writeDataRootImage(root, fx.image2, { provider: fx.store, driver: otherDriver }).catch(
      (x: unknown) => x,
    );
    expect(e).toMatchObject({ code: 'DATA_ROOT_DRIVER_MISMATCH' });
    expect((e as Error).message).toContain(`holds images of the ${driver} storage driver`);
    expect(exitCodeFor(e)).toBe(3);
    expect(listTree(root)).toEqual(before);
  });

  it('refuses a root whose docker.pid names a live process, and writes nothing there', async () => {
    const busy = join(tmp.path, 'busy-root');
    mkdirSync(busy);
    const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      writeFileSync(join(busy, 'docker.pid'), String(sleeper.pid));
      const e = await writeDataRootImage(busy, fx.image1, { provider: fx.store, driver }).catch(
        (x: unknown) => x,
      );
      expect(e).toMatchObject({ code: 'DATA_ROOT_IN_USE' });
      expect((e as Error).message).toContain(`pid ${sleeper.pid}, sleep`);
      expect(listTree(busy)).toEqual(['docker.pid']);
    } finally {
      sleeper.kill();
    }
    // A stale pid file (its process is gone) does not stand in the way.
    await new Promise((r) => sleeper.once('exit', r));
    await writeDataRootImage(busy, fx.image1, { provider: fx.store, driver });
    expect(
      existsSync(join(busy, 'image', driver, 'imagedb', 'content', 'sha256', fx.image1.id.slice(7))),
    ).toBe(true);
  });
});

describe.skipIf(!peers)('tar-split as dockerd writes it', () => {
  it(
    'for layers GNU tar wrote in every format (long names, PAX records, prefixes, record padding, a non-UTF-8 name), lading cuts the tar into the lines dockerd stores',
    async () => {
      const tmp = await makeTempDir('lading-tar-split-');
      try {
        const tree = join(tmp.path, 'tree');
        const deep = join(tree, 'd'.repeat(90), 'e'.repeat(90));
        mkdirSync(deep, { recursive: true });
        writeFileSync(join(deep, 'f'.repeat(80)), 'deep\n');
        writeFileSync(join(tree, 'small'), 'x');
        writeFileSync(join(tree, 'block'), Buffer.alloc(512, 1));
        writeFileSync(join(tree, 'big'), Buffer.alloc(300_003, 7));
        writeFileSync(join(tree, 'empty'), '');
        symlinkSync('t'.repeat(150), join(tree, 'long-link'));
        execFileSync('ln', [join(tree, 'small'), join(tree, 'small-hard')]);
        writeFileSync(join(tree, 'ünïcödé'), 'utf8\n');
        writeFileSync(join(tree, Buffer.from('latin\xe9', 'latin1').toString('latin1')), 'latin1\n');
        const archive = join(tmp.path, 'archive');
        mkdirSync(archive);
        const layers: string[] = [];
        const tars: Buffer[] = [];
        for (const format of ['gnu', 'pax', 'ustar', 'oldgnu']) {
          const file = join(archive, `${format}.tar`);
          try {
            execFileSync('tar', [`--format=${format}`, '-cf', file, '-C', tree, '.'], { stdio: 'ignore' });
          } catch {
            // ustar cannot hold every name: tar skips those and exits 2, the archive written
          }
          layers.push(`${format}.tar`);
          tars.push(readFileSync(file));
        }
        const diffIds = tars.map((t) => sha256(t));
        writeFileSync(
          join(archive, 'config.json'),
          JSON.stringify({
            architecture: 'amd64',
            os: 'linux',
            config: {},
            rootfs: { type: 'layers', diff_ids: diffIds },
          }),
        );
        writeFileSync(
          join(archive, 'manifest.json'),
          JSON.stringify([{ Config: 'config.json', RepoTags: ['formats:1'], Layers: layers }]),
        );
        const file = join(tmp.path, 'formats.tar');
        await run('tar', ['-cf', file, '-C', archive, '.']);
        const root = join(tmp.path, 'root');
        const d = await startDockerd({ storageDriver: 'vfs', dataRoot: root });
        try {
          await d.docker(['load', '-i', file]);
        } finally {
          await d.stop();
        }
        const chains = chainIdsOf(diffIds);
        tars.forEach((tar, i) => {
          let ours = '';
          const splitter = new TarSplitter((line) => {
            ours += line;
          });
          for (let off = 0; off < tar.length; off += 32 * 1024)
            splitter.write(tar.subarray(off, off + 32 * 1024));
          splitter.end();
          const dir = join(root, 'image', 'vfs', 'layerdb', 'sha256', (chains[i] as string).slice(7));
          expect(ours, layers[i]).toBe(
            gunzipSync(readFileSync(join(dir, 'tar-split.json.gz'))).toString('utf8'),
          );
          expect(String(splitter.size)).toBe(readFileSync(join(dir, 'size'), 'utf8'));
        });
      } finally {
        await tmp.cleanup();
      }
    },
    slow,
  );
});
