// Layers applied into containerd snapshots from this process (openInPlaceApply) against containerd 1.6's own diff
// service applying the same GNU tar layers: the same files, modes, owners and whiteouts, on overlayfs and native.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { writeBlob } from '@lading/content-store';
import { type Digest, isIntegrityError } from '@lading/digest';
import {
  havePeers,
  type PeerSetup,
  type RunningContainerd,
  setUpPeer,
  startContainerd,
  type TempDir,
} from '@lading/testkit';
import { getAttributeSync } from '@napi-rs/xattr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ContainerdClient,
  connectContainerd,
  type Mount,
  openInPlaceApply,
  unpackLayers,
} from '../src/index.js';

const sha256 = (b: Uint8Array | string) => `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;
const asRoot = process.getuid?.() === 0;

/** Two layers made with GNU tar: the upper one deletes a file (`.wh.gone`) and makes `dir` opaque. */
function makeLayers(base: string): [Buffer, Buffer] {
  const l1 = join(base, 'l1');
  const file = (p: string, body: string, mode: number, uid = 0, gid = 0) => {
    writeFileSync(p, body);
    chownSync(p, uid, gid); // before chmod: chown clears setuid
    chmodSync(p, mode);
  };
  const dir = (p: string, mode: number, uid = 0, gid = 0) => {
    mkdirSync(p, { recursive: true });
    chownSync(p, uid, gid);
    chmodSync(p, mode);
  };
  dir(join(l1, 'etc'), 0o755);
  file(join(l1, 'etc', 'conf'), 'hello\n', 0o640, 1000, 2000);
  dir(join(l1, 'dir'), 0o750, 1, 1);
  file(join(l1, 'dir', 'x'), 'x\n', 0o644);
  file(join(l1, 'dir', 'y'), 'yy\n', 0o600, 7, 7);
  file(join(l1, 'gone'), 'bye\n', 0o644);
  dir(join(l1, 'bin'), 0o755);
  file(join(l1, 'bin', 'tool'), '#!/bin/sh\n', 0o4755);
  execFileSync('ln', [join(l1, 'bin', 'tool'), join(l1, 'bin', 'tool2')]);
  execFileSync('ln', ['-s', 'etc/conf', join(l1, 'sym')]);
  dir(join(l1, 'empty'), 0o700, 3, 4);
  const l2 = join(base, 'l2');
  mkdirSync(l2, { recursive: true });
  file(join(l2, '.wh.gone'), '', 0o644);
  dir(join(l2, 'dir'), 0o755, 2, 2);
  file(join(l2, 'dir', '.wh..wh..opq'), '', 0o644);
  file(join(l2, 'dir', 'z'), 'zzz\n', 0o644);
  dir(join(l2, 'etc'), 0o755);
  file(join(l2, 'etc', 'new'), 'new\n', 0o600, 5, 6);
  const tar = (root: string, names: string[]) =>
    execFileSync(
      'tar',
      ['-C', root, '--sort=name', '--numeric-owner', '--format=posix', '-cf', '-', ...names],
      {
        maxBuffer: 1 << 26,
      },
    );
  return [tar(l1, ['bin', 'dir', 'empty', 'etc', 'gone', 'sym']), tar(l2, ['.wh.gone', 'dir', 'etc'])];
}

/** Every path under `root` with its type, mode, owner, size or target, mtime, device and overlay opaque mark. */
function listing(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const r = rel === '' ? name : `${rel}/${name}`;
      const p = join(root, r);
      const st = lstatSync(p);
      const own = `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
      const mtime = Math.floor(st.mtimeMs / 1000);
      if (st.isDirectory()) {
        const opaque = getAttributeSync(p, 'trusted.overlay.opaque')?.toString();
        out[r] = `dir ${own}${opaque ? ` opaque=${opaque}` : ''}`;
        walk(r);
      } else if (st.isSymbolicLink()) out[r] = `link ${own} ${readlinkSync(p)} ${mtime}`;
      else if (st.isCharacterDevice()) out[r] = `char ${own} ${st.rdev}`;
      else out[r] = `file ${own} ${st.size} nlink=${st.nlink} ${mtime}`;
    }
  };
  walk('');
  return out;
}

describe.runIf(havePeers('containerd', 'ctr', 'tar') && asRoot)('applying a layer in place', () => {
  let daemon: RunningContainerd;
  let dir: TempDir;
  let layers: [Buffer, Buffer];
  const clients: ContainerdClient[] = [];
  const connect = async (namespace: string) => {
    const c = await connectContainerd({ address: daemon.address, namespace });
    clients.push(c);
    // Under a lease, as an export works: containerd's GC (run after any removal) takes unreferenced snapshots.
    const lease = await c.leases.create({ expiresInMs: 10 * 60 * 1000 });
    return c.withLease(lease.id);
  };
  let peer: PeerSetup<RunningContainerd> | undefined;
  beforeAll(async () => {
    peer = await setUpPeer(startContainerd(), 'lading-ctrd-inplace-');
    ({ daemon, dir } = peer);
    layers = makeLayers(dir.path);
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) c.close();
    await peer?.stop();
  });

  /** Applies `tar` in place on `parent`, in chunks of odd sizes. */
  async function applyInPlace(
    client: ContainerdClient,
    snapshotter: string,
    tar: Buffer,
    parent: Digest | '',
  ) {
    const apply = await openInPlaceApply(client, { snapshotter, parentChainId: parent });
    if (apply === undefined) throw new Error(`${snapshotter}: no in-place apply`);
    for (let i = 0; i < tar.length; i += 7777) await apply.write(tar.subarray(i, i + 7777));
    return { mode: apply.mode, chainId: await apply.commit(sha256(tar)) };
  }

  /** The merged tree of committed `chainId` (and, for overlay, its layers' upper directories as stored). */
  async function view(client: ContainerdClient, snapshotter: string, chainId: Digest) {
    const key = `view-${Math.random().toString(36).slice(2)}`;
    const mounts: Mount[] = await client.snapshots.prepare(snapshotter, key, chainId);
    try {
      const m = mounts[0] as Mount;
      if (m.type === 'bind') return { merged: listing(m.source), uppers: [] };
      const target = join(dir.path, key);
      mkdirSync(target);
      execFileSync('mount', ['-t', m.type, m.source, '-o', m.options.join(','), target]);
      try {
        const lowers = (m.options.find((o) => o.startsWith('lowerdir=')) ?? '').slice(9).split(':');
        return { merged: listing(target), uppers: lowers.map(listing) };
      } finally {
        execFileSync('umount', [target]);
      }
    } finally {
      await client.snapshots.remove(snapshotter, key);
    }
  }

  const snapshotKeys = async (client: ContainerdClient, snapshotter: string) =>
    (await client.snapshots.list(snapshotter)).map((s) => s.name).sort();

  for (const snapshotter of ['overlayfs', 'native']) {
    it(`${snapshotter}: the same snapshots as containerd's diff service makes`, async () => {
      const [t1, t2] = layers;
      const d1 = sha256(t1);
      const d2 = sha256(t2);
      const chain2 = sha256(`${d1} ${d2}`);

      // One namespace for both snapshotters: the layer blobs are written into it once.
      const ref = await connect('ref');
      const blobs = await Promise.all(
        [t1, t2].map((t) =>
          writeBlob(ref.content, t, { mediaType: 'application/vnd.oci.image.layer.v1.tar' }),
        ),
      );
      const unpacked = await unpackLayers(
        ref,
        [
          { blob: blobs[0] as (typeof blobs)[0], diffId: d1 },
          { blob: blobs[1] as (typeof blobs)[0], diffId: d2 },
        ],
        { snapshotter },
      );
      expect(unpacked).toMatchObject({ chainId: chain2, applied: 2 });

      const mine = await connect('inplace');
      const first = await applyInPlace(mine, snapshotter, t1, '');
      expect(first).toEqual({ mode: 'bind', chainId: d1 });
      const second = await applyInPlace(mine, snapshotter, t2, d1);
      expect(second).toEqual({ mode: snapshotter === 'overlayfs' ? 'overlay' : 'bind', chainId: chain2 });
      expect(await snapshotKeys(mine, snapshotter)).toEqual([d1, chain2].sort());

      const expected = await view(ref, snapshotter, chain2);
      const actual = await view(mine, snapshotter, chain2);
      expect(actual).toEqual(expected);
      // What the layers mean, independently of either applier: the whiteout hid `gone`, the opaque `dir` only z.
      expect(Object.keys(actual.merged).sort()).toEqual(
        ['bin', 'bin/tool', 'bin/tool2', 'dir', 'dir/z', 'empty', 'etc', 'etc/conf', 'etc/new', 'sym'].sort(),
      );
      expect(actual.merged['etc/conf']).toMatch(/^file 640 1000:2000 6 /);
      expect(actual.merged['bin/tool']).toMatch(/^file 4755 0:0 10 nlink=2 /);
      if (snapshotter === 'overlayfs') {
        // The upper layer as overlayfs stores it: a 0/0 character device for the whiteout, `dir` marked opaque.
        expect(actual.uppers[0]).toMatchObject({ gone: 'char 0 0:0 0', dir: 'dir 755 2:2 opaque=y' });
      }
    });
  }

  it('a diff ID that does not match: IntegrityError DIFF_ID_MISMATCH, and no snapshot left', async () => {
    const client = await connect('mismatch');
    for (const snapshotter of ['overlayfs', 'native']) {
      const apply = await openInPlaceApply(client, { snapshotter });
      if (apply === undefined) throw new Error('no in-place apply');
      await apply.write(layers[0]);
      const wrong = sha256('another layer');
      const error = await apply.commit(wrong).catch((e: unknown) => e);
      expect(isIntegrityError(error)).toBe(true);
      expect(error).toMatchObject({ code: 'DIFF_ID_MISMATCH', expected: wrong, actual: sha256(layers[0]) });
      expect(await snapshotKeys(client, snapshotter)).toEqual([]);
    }
  });

  it('abort, mid-layer or before a byte: no snapshot left', async () => {
    const client = await connect('abort');
    for (const snapshotter of ['overlayfs', 'native']) {
      const apply = await openInPlaceApply(client, { snapshotter });
      if (apply === undefined) throw new Error('no in-place apply');
      await apply.write(layers[0].subarray(0, 3000));
      expect(await snapshotKeys(client, snapshotter)).toHaveLength(1);
      await apply.abort(new Error('the build failed'));
      expect(await snapshotKeys(client, snapshotter)).toEqual([]);
      const unused = await openInPlaceApply(client, { snapshotter });
      await unused?.abort();
      expect(await snapshotKeys(client, snapshotter)).toEqual([]);
    }
  });

  it('a tar the applier refuses: the write fails, commit fails, no snapshot left', async () => {
    const client = await connect('refused');
    const apply = await openInPlaceApply(client, { snapshotter: 'native' });
    if (apply === undefined) throw new Error('no in-place apply');
    const bad = Buffer.alloc(4096, 0x41); // not a tar header
    const error = await apply
      .write(bad)
      .then(() => apply.commit(sha256(bad)))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(isIntegrityError(error)).toBe(false);
    expect(await snapshotKeys(client, 'native')).toEqual([]);
  });
});
