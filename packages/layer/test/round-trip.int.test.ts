// Round trip of a tree with every entry kind: tree -> layer (in a local OCI layout) -> umoci unpack and our unpack
// give back the same tree; GNU tar lists and extracts our uncompressed layer as it should. Expectations come from
// lstat of the source tree and from the peers, never from the code under test.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createMemoryStore, openLocalStore } from '@lading/content-store';
import type { Digest } from '@lading/digest';
import { havePeers, makeTempDir, type TempDir } from '@lading/testkit';
import {
  fixtureTime,
  makeTreeFixture,
  pinTreeTimes,
  snapshotTree,
  umociUnpack,
  writeTestImage,
} from '@lading/testkit/layer-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyLayer, buildLayer, unpackLayers } from '../src/index.js';

const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function readAll(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of source) parts.push(c);
  return Buffer.concat(parts);
}

const longName = `${'n'.repeat(120)}.txt`;

/** Entries the shared fixture lacks: odd modes, a cross-directory hardlink triple, long and unicode link targets. */
function addExtras(tree: string): void {
  const w = (p: string, data: string, mode: number) => {
    writeFileSync(join(tree, p), data);
    chmodSync(join(tree, p), mode);
  };
  mkdirSync(join(tree, 'odd/empty-nested/deeper'), { recursive: true });
  mkdirSync(join(tree, 'odd/ディレクトリ'));
  w('odd/ディレクトリ/ファイル', 'unicode dir\n', 0o644);
  w('odd/private', 'private\n', 0o600);
  w('odd/x-only', 'exec only\n', 0o511);
  w('odd/all-bits', 'all bits\n', 0o7777);
  w('odd/sticky-file', 'sticky\n', 0o1644);
  w('odd/no-perms', 'none\n', 0o000);
  w('odd/hl-1', 'three names\n', 0o640);
  linkSync(join(tree, 'odd/hl-1'), join(tree, 'odd/hl-2'));
  linkSync(join(tree, 'odd/hl-1'), join(tree, 'bin/hl-3'));
  linkSync(join(tree, longName), join(tree, 'odd/long-hard'));
  symlinkSync(`../${longName}`, join(tree, 'odd/long-link'));
  symlinkSync('../ünïcødé-文件.txt', join(tree, 'odd/uni-link'));
  chmodSync(join(tree, 'odd'), 0o711);
  pinTreeTimes(tree, (_rel, i) => fixtureTime + 1000 + i);
}

/** `ls -l` style permissions, as GNU tar prints them. */
function modeString(type: string, mode: number): string {
  const bits = 'rwxrwxrwx';
  const s = [...bits].map((c, i) => (mode & (1 << (8 - i)) ? c : '-'));
  const special = (pos: number, flag: number, set: string) => {
    if (mode & flag) s[pos] = s[pos] === 'x' ? set : set.toUpperCase();
  };
  special(2, 0o4000, 's');
  special(5, 0o2000, 's');
  special(8, 0o1000, 't');
  return type + s.join('');
}

interface Listed {
  readonly mode: string;
  readonly owner: string;
  readonly size: number;
  readonly time: string;
  readonly name: string;
}

/** What `tar -tv` must print for our layer of `tree`: depth-first, names in byte order, hardlinks to the first. */
function expectedListing(tree: string): Listed[] {
  const out: Listed[] = [];
  const firstOfInode = new Map<number, string>();
  const walk = (rel: string) => {
    const names = readdirSync(join(tree, rel)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const n of names) {
      const r = rel ? `${rel}/${n}` : n;
      const st = lstatSync(join(tree, r));
      const time = new Date(Math.floor(st.mtimeMs / 1000) * 1000)
        .toISOString()
        .replace('T', ' ')
        .slice(0, 19);
      const base = { owner: `${st.uid}/${st.gid}`, time };
      const perm = st.mode & 0o7777;
      if (st.isDirectory()) {
        out.push({ ...base, mode: modeString('d', perm), size: 0, name: `${r}/` });
        walk(r);
      } else if (st.isSymbolicLink()) {
        out.push({
          ...base,
          mode: modeString('l', perm),
          size: 0,
          name: `${r} -> ${readlinkSync(join(tree, r))}`,
        });
      } else if (st.isFIFO()) {
        out.push({ ...base, mode: modeString('p', perm), size: 0, name: r });
      } else {
        const first = st.nlink > 1 ? firstOfInode.get(st.ino) : undefined;
        if (first !== undefined) {
          out.push({ ...base, mode: modeString('h', perm), size: 0, name: `${r} link to ${first}` });
        } else {
          if (st.nlink > 1) firstOfInode.set(st.ino, r);
          out.push({ ...base, mode: modeString('-', perm), size: st.size, name: r });
        }
      }
    }
  };
  walk('');
  return out;
}

function gnuListing(file: string): Listed[] {
  const text = execFileSync(
    'tar',
    ['--numeric-owner', '--full-time', '--quoting-style=literal', '-tvf', file],
    { encoding: 'utf8', env: { ...process.env, TZ: 'UTC', LC_ALL: 'C.UTF-8' } },
  );
  return text
    .trimEnd()
    .split('\n')
    .map((line) => {
      const m = /^(\S{10}) (\d+\/\d+)\s+(\d+) (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (.*)$/.exec(line);
      if (!m) throw new Error(`unexpected tar listing line: ${line}`);
      return { mode: m[1], owner: m[2], size: Number(m[3]), time: m[4], name: m[5] } as Listed;
    });
}

let tmp: TempDir;
let tree: string;
beforeAll(async () => {
  tmp = await makeTempDir('lading-layer-rt-');
  tree = join(tmp.path, 'tree');
  makeTreeFixture(tree);
  addExtras(tree);
});
afterAll(async () => {
  // The fixture has read-only directories; make them writable so they can be removed.
  execFileSync('chmod', ['-R', 'u+rwx', tmp.path]);
  await tmp.cleanup();
});

describe('the fixture', () => {
  it('has every entry kind the round trip must carry', () => {
    const snap = snapshotTree(tree);
    const types = new Set(Object.values(snap).map((e) => e.type));
    expect([...types].sort()).toEqual(['dir', 'fifo', 'file', 'symlink']);
    expect(snap['odd/hl-1']?.hardlinks).toEqual(['bin/hl-3', 'odd/hl-1', 'odd/hl-2']);
    expect(snap['odd/all-bits']?.mode).toBe(0o7777);
    expect(Object.keys(snap).some((p) => Buffer.byteLength(p) > 256)).toBe(true);
  });
});

describe('tree -> layer -> our unpack', () => {
  for (const compression of ['uncompressed', 'gzip', 'zstd'] as const) {
    it(`gives back the same tree (${compression})`, async () => {
      const store = createMemoryStore();
      const layer = await buildLayer(tree, store, { compression });
      const blob = await readAll(store.read({ digest: layer.descriptor.digest }));
      expect(sha256(blob)).toBe(layer.descriptor.digest);
      expect(blob.length).toBe(layer.descriptor.size);
      const out = join(tmp.path, `out-${compression}`);
      const applied = await applyLayer(out, {
        source: store.read({ digest: layer.descriptor.digest }),
        diffId: layer.diffId,
      });
      expect(applied.diffId).toBe(layer.diffId);
      expect(applied.size).toBe(layer.uncompressedSize);
      expect(snapshotTree(out)).toEqual(snapshotTree(tree));
    });
  }
});

describe('GNU tar reads our uncompressed layer', () => {
  it('lists every entry with its type, mode, owner, size, time and link target, in order', async () => {
    const store = createMemoryStore();
    const layer = await buildLayer(tree, store, { compression: 'uncompressed' });
    const file = join(tmp.path, 'layer.tar');
    writeFileSync(file, await readAll(store.read({ digest: layer.descriptor.digest })));
    expect(gnuListing(file)).toEqual(expectedListing(tree));
    // GNU tar extracts it too, into the same tree.
    const x = join(tmp.path, 'gnu-x');
    mkdirSync(x);
    execFileSync('tar', ['-xpf', file, '-C', x]);
    expect(snapshotTree(x)).toEqual(snapshotTree(tree));
  });
});

describe.runIf(havePeers('umoci'))('umoci unpacks our layer', () => {
  // umoci 0.4 reads no zstd layers; the zstd blob is checked with the zstd CLI below.
  for (const compression of ['gzip', 'uncompressed'] as const) {
    it(`gives back the same tree as our unpack, from a local OCI layout (${compression})`, async () => {
      const dir = join(tmp.path, `layout-${compression}`);
      const store = await openLocalStore(dir);
      const layer = await buildLayer(tree, store, { compression });
      const blobPath = (d: Digest) => join(dir, 'blobs', 'sha256', d.slice(7));
      const blob = readFileSync(blobPath(layer.descriptor.digest));
      expect(sha256(blob)).toBe(layer.descriptor.digest);
      expect(sha256(compression === 'gzip' ? gunzipSync(blob) : blob)).toBe(layer.diffId);
      writeTestImage(dir, [{ blob, mediaType: layer.descriptor.mediaType, diffId: layer.diffId }], 'rt');
      // umoci checks the diffID against the config while it unpacks.
      const rootfs = umociUnpack(dir, 'rt', join(tmp.path, `bundle-${compression}`));
      const want = snapshotTree(tree);
      expect(snapshotTree(rootfs)).toEqual(want);
      const ours = join(tmp.path, `ours-${compression}`);
      await unpackLayers(ours, [
        { source: store.read({ digest: layer.descriptor.digest }), diffId: layer.diffId },
      ]);
      expect(snapshotTree(ours)).toEqual(want);
    });
  }
});

describe.runIf(havePeers('zstd'))('the zstd CLI reads our zstd layer', () => {
  it('decompresses it to the tar of the diffID', async () => {
    const store = createMemoryStore();
    const layer = await buildLayer(tree, store, { compression: 'zstd' });
    expect(layer.descriptor.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+zstd');
    const file = join(tmp.path, 'layer.tar.zst');
    writeFileSync(file, await readAll(store.read({ digest: layer.descriptor.digest })));
    const tar = execFileSync('zstd', ['-dc', file], { maxBuffer: 64 << 20 });
    expect(sha256(tar)).toBe(layer.diffId);
    expect(tar.length).toBe(layer.uncompressedSize);
  });
});
