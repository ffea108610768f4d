// Diff layers: lower and upper trees -> a layer of the changes (with OCI whiteouts); the lower layer then the diff
// layer, applied by our unpack and by umoci (a two-layer image), give back the upper tree. Every time is pinned with
// utimes, so nothing depends on the clock.
import { execFileSync } from 'node:child_process';
import { chmodSync, linkSync, lstatSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMemoryStore, openLocalStore } from '@lading/content-store';
import { havePeers, makeTempDir, type TempDir } from '@lading/testkit';
import { pinTreeTimes, snapshotTree, umociUnpack, writeTestImage } from '@lading/testkit/layer-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDiffLayer, buildLayer, diffTreeEntries, unpackLayers } from '../src/index.js';

let tmp: TempDir;
let lower: string;
let upper: string;

/** A time per path (the same in both trees unless `bump`ed), so unchanged entries compare equal. */
function timeOf(rel: string, bump: ReadonlySet<string>): number {
  let h = 0;
  for (const c of Buffer.from(rel)) h = (h * 31 + c) % 100_000;
  return 1_600_000_000 + h + (bump.has(rel) ? 7 : 0);
}

function pinTimes(root: string, bump: ReadonlySet<string> = new Set()): void {
  pinTreeTimes(root, (rel) => timeOf(rel, bump));
}

function write(root: string, rel: string, data: string, mode = 0o644): void {
  mkdirSync(join(root, rel, '..'), { recursive: true });
  writeFileSync(join(root, rel), data);
  chmodSync(join(root, rel), mode);
}

function makeLower(root: string): void {
  mkdirSync(root);
  write(root, 'same.txt', 'same');
  write(root, 'content.txt', 'old');
  write(root, 'samesize.txt', 'aaaa');
  write(root, 'mode.txt', 'mode');
  write(root, 'mtime.txt', 'mtime');
  write(root, 'removed.txt', 'bye');
  write(root, 'removed-dir/a/b', 'b');
  write(root, 'removed-dir/c', 'c');
  write(root, 'dir2file/x', 'x');
  write(root, 'file2dir', 'was a file');
  write(root, 'opaque/old1', '1');
  write(root, 'opaque/old2', '2');
  write(root, 'opaque/sub/old3', '3');
  write(root, 'partial/keep', 'keep');
  write(root, 'partial/drop', 'drop');
  write(root, 'keep-dir/stays', 'stays');
  write(root, 'keep-dir/gone-sub/deep/f', 'f');
  symlinkSync('same.txt', join(root, 'link'));
  symlinkSync('same.txt', join(root, 'link2file'));
  write(root, 'file2link', 'file');
  write(root, 'dir2link/k', 'k');
  symlinkSync('same.txt', join(root, 'link2dir'));
  pinTimes(root);
}

/** The upper tree: a copy of lower with every kind of change. */
function makeUpper(root: string, from: string): void {
  execFileSync('cp', ['-a', from, root]);
  write(root, 'content.txt', 'new content');
  write(root, 'samesize.txt', 'bbbb');
  chmodSync(join(root, 'mode.txt'), 0o755);
  rmSync(join(root, 'removed.txt'));
  rmSync(join(root, 'removed-dir'), { recursive: true });
  rmSync(join(root, 'dir2file'), { recursive: true });
  write(root, 'dir2file', 'now a file');
  rmSync(join(root, 'file2dir'));
  write(root, 'file2dir/y', 'now a dir');
  rmSync(join(root, 'opaque'), { recursive: true });
  write(root, 'opaque/new1', 'n1');
  write(root, 'opaque/newsub/n', 'n');
  rmSync(join(root, 'partial/drop'));
  write(root, 'partial/add', 'add');
  rmSync(join(root, 'keep-dir/gone-sub'), { recursive: true });
  rmSync(join(root, 'link'));
  symlinkSync('content.txt', join(root, 'link'));
  rmSync(join(root, 'link2file'));
  write(root, 'link2file', 'file now');
  rmSync(join(root, 'file2link'));
  symlinkSync('/etc/hostname', join(root, 'file2link'));
  rmSync(join(root, 'dir2link'), { recursive: true });
  symlinkSync('keep-dir', join(root, 'dir2link'));
  rmSync(join(root, 'link2dir'));
  write(root, 'link2dir/k', 'k');
  write(root, 'added.txt', 'added');
  write(root, 'added-dir/deep/file', 'deep');
  write(root, 'hard-a', 'pair');
  linkSync(join(root, 'hard-a'), join(root, 'hard-b'));
  // A new name for an unchanged file: the diff must carry the file too, or the names come apart.
  linkSync(join(root, 'same.txt'), join(root, 'same-link'));
  chmodSync(join(root, 'partial'), 0o750);
  // Changed entries (and the directories whose listing changed) get other times; the rest keep lower's.
  pinTimes(
    root,
    new Set([
      'content.txt',
      'samesize.txt',
      'mtime.txt',
      '',
      'opaque',
      'partial',
      'keep-dir',
      'dir2file',
      'file2dir',
      'link',
      'link2file',
      'file2link',
      'dir2link',
      'link2dir',
    ]),
  );
}

beforeAll(async () => {
  tmp = await makeTempDir('lading-diff-');
  lower = join(tmp.path, 'lower');
  upper = join(tmp.path, 'upper');
  makeLower(lower);
  makeUpper(upper, lower);
});
afterAll(async () => {
  await tmp.cleanup();
});

describe('diffTreeEntries', () => {
  it('lists added and changed entries, one whiteout per removed subtree, and an opaque marker', () => {
    const paths = diffTreeEntries(lower, upper).map((e) => e.path);
    expect(paths).toEqual([
      '.wh.removed-dir',
      '.wh.removed.txt',
      'added-dir',
      'added-dir/deep',
      'added-dir/deep/file',
      'added.txt',
      'content.txt',
      'dir2file',
      'dir2link',
      'file2dir',
      'file2dir/y',
      'file2link',
      'hard-a',
      'hard-b',
      'keep-dir',
      'keep-dir/.wh.gone-sub',
      'link',
      'link2dir',
      'link2dir/k',
      'link2file',
      'mode.txt',
      'mtime.txt',
      'opaque',
      'opaque/.wh..wh..opq',
      'opaque/new1',
      'opaque/newsub',
      'opaque/newsub/n',
      'partial',
      'partial/.wh.drop',
      'partial/add',
      'same-link',
      'same.txt',
      'samesize.txt',
    ]);
  });

  it('an unchanged tree gives no entries', () => {
    expect(diffTreeEntries(lower, lower)).toEqual([]);
  });
});

describe('lower layer + diff layer = upper', () => {
  it('with our unpack', async () => {
    const store = createMemoryStore();
    const base = await buildLayer(lower, store, { compression: 'gzip' });
    const diff = await buildDiffLayer(lower, upper, store, { compression: 'gzip' });
    const out = join(tmp.path, 'ours');
    await unpackLayers(out, [
      { source: store.read({ digest: base.descriptor.digest }), diffId: base.diffId },
      { source: store.read({ digest: diff.descriptor.digest }), diffId: diff.diffId },
    ]);
    expect(snapshotTree(out)).toEqual(snapshotTree(upper));
    expect(lstatSync(join(out, 'hard-a')).ino).toBe(lstatSync(join(out, 'hard-b')).ino);
  });

  it.runIf(havePeers('umoci'))('with umoci, from a two-layer image in a local OCI layout', async () => {
    const dir = join(tmp.path, 'layout');
    const store = await openLocalStore(dir);
    const base = await buildLayer(lower, store, { compression: 'gzip' });
    const diff = await buildDiffLayer(lower, upper, store, { compression: 'gzip' });
    const blob = async (d: string) => {
      const parts: Uint8Array[] = [];
      for await (const c of store.read({ digest: d as typeof base.descriptor.digest })) parts.push(c);
      return Buffer.concat(parts);
    };
    writeTestImage(dir, [
      { blob: await blob(base.descriptor.digest), mediaType: base.descriptor.mediaType, diffId: base.diffId },
      { blob: await blob(diff.descriptor.digest), mediaType: diff.descriptor.mediaType, diffId: diff.diffId },
    ]);
    const rootfs = umociUnpack(dir, 'test', join(tmp.path, 'bundle'));
    expect(snapshotTree(rootfs)).toEqual(snapshotTree(upper));
  });

  it('the diff of a directory replaced by a file has no whiteouts under it', () => {
    const names = diffTreeEntries(lower, upper).map((e) => e.path);
    expect(names.filter((n) => n.startsWith('dir2file/'))).toEqual([]);
    expect(names.filter((n) => n.startsWith('removed-dir/'))).toEqual([]);
  });
});
