import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createMemoryStore, writeBlob } from '@lading/content-store';
import { makeTempDir, type TempDir } from '@lading/testkit';
import { type RawTarEntry, rawTar } from '@lading/testkit/layer-fixtures';
import { writeDockerArchive } from '@lading/transports';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractArchive, readImage } from '../src/transports/index.js';
import { ladingBuildah } from './helpers.js';

// Hostile image archives, built here byte by byte: an archive is input, and nothing it holds may land outside the
// directory it is unpacked into, whatever links it makes first.
let tmp: TempDir;
let work: string;
let root: string;
beforeEach(async () => {
  tmp = await makeTempDir('lading-buildah-archive-');
  work = join(tmp.path, 'work');
  root = join(work, 'root');
  await mkdir(root, { recursive: true });
});
afterEach(async () => tmp.cleanup());

async function extract(entries: readonly RawTarEntry[]): Promise<unknown> {
  const file = join(tmp.path, 'archive.tar');
  await writeFile(file, rawTar(entries));
  return extractArchive(file, root).then(
    () => 'ok',
    (e: unknown) => e,
  );
}

const file = (name: string, content = 'x'): RawTarEntry => ({ name, content });
const dir = (name: string): RawTarEntry => ({ name, type: '5' });
const link = (name: string, linkname: string): RawTarEntry => ({ name, type: '2', linkname });

describe('extractArchive refuses members that would land outside', () => {
  it.each<[string, RawTarEntry[], string]>([
    ['a ../ name', [file('../escape')], "climbs out of the archive with '..'"],
    ['a .. in the middle', [file('a/../../escape')], "climbs out of the archive with '..'"],
    ['an absolute name', [file('/escape')], 'is an absolute path'],
    ['a symlink out', [link('out', '../..'), file('out/pwned')], 'is a symbolic link out of the archive'],
    ['a symlink out from a subdirectory', [link('a/l', '../../x')], 'is a symbolic link out of the archive'],
    ['the same, named ./a/l', [link('./a/l', '../../x')], 'is a symbolic link out of the archive'],
    ['the same, named a//l', [link('a//l', '../../x')], 'is a symbolic link out of the archive'],
    [
      'an absolute symlink',
      [link('etc', '/etc'), file('etc/pwned')],
      'is a symbolic link to an absolute path',
    ],
    ['an empty symlink', [link('l', '')], 'is a symbolic link to nothing'],
    [
      'a link that leaves through another link (d -> ., x -> d/..)',
      [link('d', '.'), link('x', 'd/..'), file('x/pwned')],
      "is a symbolic link with '..' after a name",
    ],
    [
      'a file written through a link inside',
      [dir('sub/'), link('l', 'sub'), file('l/f')],
      'goes through the symbolic link l',
    ],
    [
      'a directory over a link',
      [dir('sub/'), link('l', 'sub'), dir('l/')],
      'is a directory where the archive put something else',
    ],
    ['a file used as a directory', [file('f'), file('f/g')], 'goes through f, which is not a directory'],
  ])('%s', async (_what, entries, why) => {
    const e = await extract(entries);
    expect(e).toMatchObject({ code: 'ARCHIVE_UNSAFE_PATH', kind: 'invalid-input' });
    expect((e as Error).message).toContain(why);
    // Nothing beside the root, and nothing written through a link.
    expect(await readdir(work)).toEqual(['root']);
    expect(await readdir(tmp.path)).toEqual(['archive.tar', 'work']);
  });

  it('never writes a file through a link that is already at its name', async () => {
    const e = await extract([link('l', 'target'), file('l', 'through')]);
    expect(e).toMatchObject({ code: 'ARCHIVE_INVALID', kind: 'invalid-input' });
    expect(await readdir(root)).toEqual(['l']);
  });

  it('is ARCHIVE_INVALID, not a hang, for a member whose size field reads as no number', async () => {
    // A first byte with the high bit set, neither 0x80 nor 0xff: tar-stream's base-256 reading gives null.
    const tar = rawTar([file('f', 'x')]);
    tar.fill(0, 124, 136);
    tar[124] = 0xc2;
    tar.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of tar.subarray(0, 512)) sum += b;
    tar.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    await writeFile(join(tmp.path, 'archive.tar'), tar);
    await expect(extractArchive(join(tmp.path, 'archive.tar'), root)).rejects.toMatchObject({
      code: 'ARCHIVE_INVALID',
      message: expect.stringContaining('has a size that is not a number'),
    });
  }, 10_000);

  it('is ARCHIVE_INVALID for bytes that are not a tar', async () => {
    await writeFile(join(tmp.path, 'archive.tar'), 'hello, not a tar\n');
    await expect(extractArchive(join(tmp.path, 'archive.tar'), root)).rejects.toMatchObject({
      code: 'ARCHIVE_INVALID',
    });
  });
});

describe('extractArchive keeps what image archives hold', () => {
  it("docker save's legacy layer.tar links, files, directories; other types are skipped", async () => {
    const e = await extract([
      dir('./'),
      file('manifest.json', '[]'),
      dir('aaa/'),
      file('aaa/layer.tar', 'layer bytes'),
      dir('bbb/'),
      link('bbb/layer.tar', '../aaa/layer.tar'),
      link('./ccc', 'aaa/./layer.tar'),
      // Dots and doubled slashes in a target are what they are in a path: `.//..//aaa` is `../aaa`.
      link('bbb/dots', './/..//aaa/./layer.tar'),
      // Parents without entries of their own are made; a directory entry after them changes nothing.
      file('implicit/deep/f', 'deep'),
      dir('implicit/'),
      { name: 'contiguous', type: '7' as unknown as '0', content: 'c' },
      { name: 'hard', type: '1', linkname: '/etc/passwd' },
      { name: 'fifo', type: '6' },
    ]);
    expect(e).toBe('ok');
    expect((await readdir(root)).sort()).toEqual([
      'aaa',
      'bbb',
      'ccc',
      'contiguous',
      'implicit',
      'manifest.json',
    ]);
    expect(await readFile(join(root, 'bbb', 'dots'), 'utf8')).toBe('layer bytes');
    expect(await readFile(join(root, 'implicit', 'deep', 'f'), 'utf8')).toBe('deep');
    expect(await readFile(join(root, 'contiguous'), 'utf8')).toBe('c');
    expect(await readFile(join(root, 'bbb', 'layer.tar'), 'utf8')).toBe('layer bytes');
    expect(await readlink(join(root, 'bbb', 'layer.tar'))).toBe('../aaa/layer.tar');
    expect(await readFile(join(root, 'ccc'), 'utf8')).toBe('layer bytes');
  });
});

const sha256 = (b: Uint8Array | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** An OCI layout in an oci-archive, written by hand, with extra entries appended. */
function ociArchive(extra: RawTarEntry[]): Buffer {
  const config = JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: [] },
  });
  const configDesc = {
    mediaType: 'application/vnd.oci.image.config.v1+json',
    digest: sha256(config),
    size: config.length,
  };
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: configDesc,
    layers: [],
  });
  const index = JSON.stringify({
    schemaVersion: 2,
    manifests: [
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: sha256(manifest),
        size: manifest.length,
      },
    ],
  });
  return rawTar([
    file('oci-layout', '{"imageLayoutVersion":"1.0.0"}'),
    file('index.json', index),
    dir('blobs/'),
    dir('blobs/sha256/'),
    file(`blobs/sha256/${sha256(config).slice(7)}`, config),
    file(`blobs/sha256/${sha256(manifest).slice(7)}`, manifest),
    ...extra,
  ]);
}

describe('readImage from a docker-archive whose manifest.json names paths', () => {
  const policyPath = () => join(tmp.path, 'policy.json');
  async function read(configPath: string, layers: string[] = []) {
    await writeFile(policyPath(), JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
    const archive = join(tmp.path, 'names.tar');
    const config = '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}';
    await writeFile(
      archive,
      rawTar([
        file('manifest.json', JSON.stringify([{ Config: configPath, RepoTags: [], Layers: layers }])),
        file('c.json', config),
        dir('l/'),
        file('l/layer.tar', ''),
      ]),
    );
    return readImage({ transport: 'docker-archive', file: archive }, createMemoryStore(), {
      policyPath: policyPath(),
    }).then(
      () => 'ok',
      (e: unknown) => e,
    );
  }

  it.each(['../c.json', 'l/../../c.json', '/c.json', '', '.', './', './/.'])('refuses %j', async (name) => {
    expect(await read(name)).toMatchObject({
      code: 'ARCHIVE_UNSAFE_PATH',
      message: expect.stringContaining(`manifest.json names ${JSON.stringify(name)}, which is not a member`),
    });
    expect(await read('c.json', [name])).toMatchObject({ code: 'ARCHIVE_UNSAFE_PATH' });
  });

  it('reads members named with ./ and doubled slashes', async () => {
    expect(await read('./c.json', ['./l//layer.tar'])).toBe('ok');
  });
});

describe('lading-buildah from a hostile archive', () => {
  const stackLine = /^ {4}at /m;
  const run = async (args: string[]) =>
    ladingBuildah(join(tmp.path, 'storage'), args, { env: { TMPDIR: work, LADING_DEBUG: '' } });

  it('oci-archive with a member outside: exit 3, one Error: line, nothing written outside', async () => {
    const archive = join(tmp.path, 'evil-oci.tar');
    await writeFile(archive, ociArchive([link('blobs/x', '../../..'), file('blobs/x/pwned')]));
    const r = await run(['from', `oci-archive:${archive}`]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^Error: .*is a symbolic link out of the archive/m);
    expect(r.stderr).not.toMatch(stackLine);
    expect(await readdir(work)).toEqual(['root']);
    // The positive control: the same archive without the hostile members is an image.
    await writeFile(archive, ociArchive([]));
    expect((await run(['from', `oci-archive:${archive}`])).code).toBe(0);
  });

  it('docker-archive whose manifest.json names a file outside: exit 3, the file is never read', async () => {
    const outside = join(work, 'secret.json');
    await writeFile(
      outside,
      '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}',
    );
    for (const config of ['../secret.json', '../../work/secret.json', '/etc/hostname']) {
      const archive = join(tmp.path, 'evil-docker.tar');
      await writeFile(
        archive,
        rawTar([file('manifest.json', JSON.stringify([{ Config: config, RepoTags: [], Layers: [] }]))]),
      );
      const r = await run(['from', `docker-archive:${archive}`]);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/^Error: .*manifest.json names .*not a member of the archive/m);
      expect(r.stderr).not.toMatch(stackLine);
    }
  });

  it('docker-archive with a layer.tar link out: exit 3', async () => {
    const archive = join(tmp.path, 'evil-docker.tar');
    await writeFile(
      archive,
      rawTar([
        file('manifest.json', JSON.stringify([{ Config: 'c.json', RepoTags: [], Layers: ['a/layer.tar'] }])),
        file('c.json', '{}'),
        dir('a/'),
        link('a/layer.tar', '../../../../../../etc/passwd'),
      ]),
    );
    const r = await run(['from', `docker-archive:${archive}`]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^Error: .*is a symbolic link out of the archive/m);
    expect(r.stderr).not.toMatch(stackLine);
  });
});

describe('the 8 MiB config cap of docker-archive writes', () => {
  async function imageWithConfig(size: number) {
    const store = createMemoryStore();
    const head = JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [] },
      pad: '',
    });
    const config = new TextEncoder().encode(
      head.replace('"pad":""', `"pad":"${'x'.repeat(size - head.length)}"`),
    );
    expect(config.byteLength).toBe(size);
    const configDesc = await writeBlob(store, config, {
      mediaType: 'application/vnd.docker.container.image.v1+json',
    });
    const manifest = new TextEncoder().encode(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        config: configDesc,
        layers: [],
      }),
    );
    const root = await writeBlob(store, manifest, {
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    });
    return { store, root };
  }

  it('writes a 5 MiB config (above the 4 MiB default of a blob read) and refuses 8 MiB + 1', async () => {
    const five = await imageWithConfig(5 * 1024 * 1024);
    await writeDockerArchive(join(tmp.path, 'five.tar'), 'example/a:1', five.store, five.root, {});
    expect((await readdir(tmp.path)).includes('five.tar')).toBe(true);
    const over = await imageWithConfig(8 * 1024 * 1024 + 1);
    await expect(
      writeDockerArchive(join(tmp.path, 'over.tar'), 'example/a:1', over.store, over.root, {}),
    ).rejects.toMatchObject({
      code: 'BLOB_TOO_LARGE',
    });
    expect((await readdir(tmp.path)).includes('over.tar')).toBe(false);
  });
});
