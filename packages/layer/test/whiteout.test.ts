// Whiteouts on unpack, as the OCI image-spec ("Whiteouts") says: `.wh.<name>` hides a lower entry, `.wh..wh..opq`
// hides every lower child of its directory but keeps what the same layer puts there, whatever the entries' order.
// Every case is also unpacked by umoci from an OCI layout, and both trees must agree.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Digest } from '@lading/digest';
import { IntegrityError } from '@lading/digest';
import { havePeers, makeTempDir, type TempDir } from '@lading/testkit';
import {
  plainLayer,
  type RawTarEntry,
  rawTar,
  snapshotTree,
  umociUnpack,
  writeTestImage,
} from '@lading/testkit/layer-fixtures';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyLayer, unpackLayers } from '../src/index.js';

async function* bytes(b: Uint8Array): AsyncGenerator<Uint8Array> {
  yield b;
}

const withUmoci = havePeers('umoci');
let tmp: TempDir;
beforeEach(async () => {
  tmp = await makeTempDir('lading-whiteout-');
});
afterEach(async () => {
  await tmp.cleanup();
});

/** Unpacks the layers with lading and (when installed) umoci; returns lading's tree after checking umoci's equals it. */
async function unpackBoth(
  layers: readonly (readonly RawTarEntry[])[],
): Promise<ReturnType<typeof snapshotTree>> {
  const tars = layers.map((l) => rawTar(l));
  const ours = join(tmp.path, 'ours');
  await unpackLayers(
    ours,
    tars.map((t) => ({ source: bytes(t), diffId: plainLayer(t).diffId as Digest })),
  );
  const got = snapshotTree(ours);
  if (withUmoci) {
    const layout = join(tmp.path, 'layout');
    writeTestImage(layout, tars.map(plainLayer));
    const theirs = snapshotTree(umociUnpack(layout, 'test', join(tmp.path, 'bundle')));
    // umoci restores the time of each entry's parent only, so a directory emptied by an opaque marker later in the
    // layer gets the clock's time there; directory times are checked against the layers below instead.
    expect(withoutDirTimes(got)).toEqual(withoutDirTimes(theirs));
  }
  // A directory keeps the time its layers give it: every raw tar entry here has the default time.
  for (const [path, e] of Object.entries(got)) {
    if (e.type === 'dir') expect([path, e.mtime]).toEqual([path, 1_600_000_000]);
  }
  return got;
}

function withoutDirTimes(tree: ReturnType<typeof snapshotTree>) {
  return Object.fromEntries(
    Object.entries(tree).map(([p, e]) => [p, e.type === 'dir' ? { ...e, mtime: 0 } : e]),
  );
}

const lower: RawTarEntry[] = [
  { name: 'keep', content: 'k' },
  { name: 'gone', content: 'g' },
  { name: 'dir/', type: '5' },
  { name: 'dir/a', content: 'a' },
  { name: 'dir/sub/', type: '5' },
  { name: 'dir/sub/b', content: 'b' },
  { name: 'opq/', type: '5' },
  { name: 'opq/old', content: 'old' },
  { name: 'opq/sub/', type: '5' },
  { name: 'opq/sub/deep', content: 'deep' },
  { name: 'swap', content: 'file first' },
  { name: 'link', type: '2', linkname: 'keep' },
];

describe('whiteouts', () => {
  it('.wh.<name> removes a lower file, a lower directory with its subtree, and a symlink', async () => {
    const tree = await unpackBoth([
      lower,
      [{ name: '.wh.gone' }, { name: 'dir/.wh.sub' }, { name: '.wh.link' }, { name: '.wh.not-there' }],
    ]);
    expect(Object.keys(tree)).toEqual([
      'dir',
      'dir/a',
      'keep',
      'opq',
      'opq/old',
      'opq/sub',
      'opq/sub/deep',
      'swap',
    ]);
  });

  const opaqueUpper: RawTarEntry[] = [
    { name: 'opq/', type: '5' },
    { name: 'opq/new', content: 'new' },
    { name: 'opq/sub/', type: '5' },
    { name: 'opq/sub/added', content: 'added' },
  ];
  const marker: RawTarEntry = { name: 'opq/.wh..wh..opq' };
  const opaqueResult = ['opq', 'opq/new', 'opq/sub', 'opq/sub/added'];
  for (const [where, upper] of [
    ['first', [opaqueUpper[0] as RawTarEntry, marker, ...opaqueUpper.slice(1)]],
    ['last', [...opaqueUpper, marker]],
  ] as const) {
    it(`.wh..wh..opq hides lower children but keeps the layer's own, marker ${where}`, async () => {
      const tree = await unpackBoth([lower, upper]);
      expect(Object.keys(tree).filter((p) => p.startsWith('opq'))).toEqual(opaqueResult);
      expect(tree['opq/sub/added']?.content).toBe(Buffer.from('added').toString('base64'));
      // The rest of the lower layer is untouched.
      expect(tree.keep?.content).toBe(Buffer.from('k').toString('base64'));
      expect(tree['dir/sub/b']).toBeDefined();
    });
  }

  it('an opaque directory at the root keeps only the layer', async () => {
    const tree = await unpackBoth([lower, [{ name: 'fresh', content: 'f' }, { name: '.wh..wh..opq' }]]);
    expect(Object.keys(tree)).toEqual(['fresh']);
  });

  for (const order of ['whiteout first', 'whiteout last'] as const) {
    it(`a whiteout and a new entry of the same name in one layer keep the new entry (${order})`, async () => {
      const wh: RawTarEntry[] = [{ name: '.wh.swap' }, { name: 'dir/.wh.sub' }];
      const added: RawTarEntry[] = [
        { name: 'swap/', type: '5' },
        { name: 'swap/inner', content: 'dir now' },
        { name: 'dir/sub/', type: '5' },
        { name: 'dir/sub/c', content: 'c' },
      ];
      const tree = await unpackBoth([
        lower,
        order === 'whiteout first' ? [...wh, ...added] : [...added, ...wh],
      ]);
      expect(tree.swap?.type).toBe('dir');
      expect(tree['swap/inner']?.content).toBe(Buffer.from('dir now').toString('base64'));
      expect(Object.keys(tree).filter((p) => p.startsWith('dir/sub'))).toEqual(['dir/sub', 'dir/sub/c']);
    });
  }

  it('replaces a file by a directory and a directory by a file, and links to lower files', async () => {
    const tree = await unpackBoth([
      lower,
      [
        { name: 'swap/', type: '5' },
        { name: 'swap/inner', content: 'dir now' },
        { name: 'dir', content: 'file now' },
        { name: 'hard', type: '1', linkname: 'keep' },
      ],
    ]);
    expect(tree.swap?.type).toBe('dir');
    expect(tree.dir?.type).toBe('file');
    expect(Object.keys(tree).some((p) => p.startsWith('dir/'))).toBe(false);
    expect(tree.hard?.hardlinks).toEqual(['hard', 'keep']);
  });
});

describe('applyLayer basics', () => {
  it('checks the diffID and fails with IntegrityError on a mismatch', async () => {
    const tar = rawTar([{ name: 'f', content: 'x' }]);
    const wrong = `sha256:${'0'.repeat(64)}` as Digest;
    const error = await applyLayer(join(tmp.path, 't'), { source: bytes(tar), diffId: wrong }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(IntegrityError);
    expect((error as IntegrityError).expected).toBe(wrong);
    expect((error as IntegrityError).actual).toBe(`sha256:${createHash('sha256').update(tar).digest('hex')}`);
  });

  it('detects gzip, returns the diffID of the plain tar, restores modes and times', async () => {
    const tar = rawTar([
      { name: 'd/', type: '5', mode: 0o750, mtime: 1_500_000_000 },
      { name: 'd/x', content: 'x', mode: 0o4711, mtime: 1_400_000_000 },
      { name: 'd/f', type: '6', mode: 0o640, mtime: 1_300_000_000 },
    ]);
    const out = join(tmp.path, 't');
    const { diffId, size } = await applyLayer(out, { source: bytes(gzipSync(tar)) });
    expect(diffId).toBe(`sha256:${createHash('sha256').update(tar).digest('hex')}`);
    expect(size).toBe(tar.length);
    const d = statSync(join(out, 'd'));
    const x = statSync(join(out, 'd/x'));
    const f = statSync(join(out, 'd/f'));
    expect([d.mode & 0o7777, d.mtimeMs / 1000]).toEqual([0o750, 1_500_000_000]);
    expect([x.mode & 0o7777, x.mtimeMs / 1000]).toEqual([0o4711, 1_400_000_000]);
    expect([f.isFIFO(), f.mode & 0o7777, f.mtimeMs / 1000]).toEqual([true, 0o640, 1_300_000_000]);
  });

  it.runIf(havePeers('tar'))('takes ids and times from PAX records (GNU tar --format=posix)', async () => {
    const src = join(tmp.path, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'f'), 'hi\n');
    utimesSync(join(src, 'f'), 1_700_000_000.5, 1_700_000_000.5);
    const tar = execFileSync('tar', [
      '--format=posix',
      '--owner=:2097152',
      '--group=:3000000',
      '-C',
      src,
      '-cf',
      '-',
      'f',
    ]);
    const out = join(tmp.path, 't');
    const asRoot = process.getuid?.() === 0;
    await applyLayer(out, { source: bytes(tar) }, { sameOwner: asRoot });
    const st = statSync(join(out, 'f'));
    expect(st.mtimeMs).toBe(1_700_000_000_500);
    if (asRoot) expect([st.uid, st.gid]).toEqual([2_097_152, 3_000_000]);
  });

  it('a ./ directory entry gives the root its mode and time', async () => {
    const out = join(tmp.path, 't');
    const tar = rawTar([
      { name: './', type: '5', mode: 0o750, mtime: 1_234_567_890 },
      { name: './f', content: 'f' },
    ]);
    await applyLayer(out, { source: bytes(tar) });
    const st = statSync(out);
    expect([st.mode & 0o7777, st.mtimeMs / 1000]).toEqual([0o750, 1_234_567_890]);
  });
});
