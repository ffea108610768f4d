// The client against a real containerd 1.6: errors mapped from its gRPC codes, uploads that resume or share,
// image records updated in place, and unpacking into a snapshotter checked with ctr.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { writeBlob } from '@lading/content-store';
import {
  type Descriptor,
  type Digest,
  IntegrityError,
  InvalidInputError,
  NotFoundError,
} from '@lading/digest';
import {
  havePeers,
  type PeerSetup,
  type RunningContainerd,
  setUpPeer,
  startContainerd,
  type TempDir,
} from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ContainerdClient,
  ContainerdError,
  checkSnapshotter,
  connectContainerd,
  unpackImage,
  unpackLayers,
} from '../src/index.js';
import { Transport } from '../src/transport.js';

const sha256 = (b: Uint8Array | string) => `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;
const source = (bytes: Uint8Array, opened: number[] = []) => ({
  descriptor: { mediaType: 'application/octet-stream', digest: sha256(bytes), size: bytes.length },
  async *open(options?: { offset?: number }) {
    opened.push(options?.offset ?? 0);
    for (let i = options?.offset ?? 0; i < bytes.length; i += 65536) yield bytes.subarray(i, i + 65536);
  },
});

describe.runIf(havePeers('containerd', 'ctr', 'tar'))('containerd client', () => {
  let daemon: RunningContainerd;
  let dir: TempDir;
  let client: ContainerdClient;
  let peer: PeerSetup<RunningContainerd> | undefined;
  beforeAll(async () => {
    peer = await setUpPeer(startContainerd(), 'lading-ctrd-client-');
    ({ daemon, dir } = peer);
    client = await connectContainerd({ address: daemon.address, namespace: 'client' });
  }, 60_000);
  afterAll(async () => {
    client?.close();
    await peer?.stop();
  });

  it('no socket: ContainerdError naming the address (exit 5 in the CLI)', async () => {
    const address = join(dir.path, 'none.sock');
    const error = await connectContainerd({ address }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContainerdError);
    expect(error).toMatchObject({ code: 'CONTAINERD_NO_SOCKET', kind: 'registry', address });
    expect((error as Error).message).toContain(address);
  });

  it('a namespace containerd refuses is InvalidInputError (from its InvalidArgument)', async () => {
    // Past the client's own check, to see containerd's answer mapped.
    const transport = await Transport.connect(daemon.address);
    try {
      const raw = new ContainerdClient(transport, { namespace: 'not/valid' });
      const error = await raw.images.list().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidInputError);
      expect(error).toMatchObject({ code: 'CONTAINERD_INVALID_ARGUMENT' });
      expect((error as Error).message).toMatch(/namespace/);
    } finally {
      transport.close();
    }
    expect(() => client.withNamespace('not/valid')).toThrow(InvalidInputError);
  });

  it('put resumes an interrupted ingest at containerd’s offset, and the result is the blob', async () => {
    const bytes = randomBytes(3 * 1024 * 1024 + 5);
    const digest = sha256(bytes);
    const w = await client.content.writer({
      ref: `lading-upload-${digest}`,
      expected: { size: bytes.length },
    });
    await w.write(bytes.subarray(0, 1_000_000));
    await w.close();
    const opened: number[] = [];
    const resumed: number[] = [];
    const desc = source(bytes).descriptor;
    expect(
      await client.content.put(desc, source(bytes, opened), { onResume: (e) => resumed.push(e.offset) }),
    ).toBe('written');
    expect(resumed).toEqual([1_000_000]);
    expect(opened).toEqual([1_000_000]);
    const got = execFileSync('ctr', ['-a', daemon.address, '-n', 'client', 'content', 'get', digest], {
      maxBuffer: 16 << 20,
    });
    expect(sha256(got)).toBe(digest);
    expect(await client.content.listIngests()).toEqual([]);
  });

  it('an ingest left with other bytes is started over, not committed wrong', async () => {
    const bytes = randomBytes(500_000);
    const digest = sha256(bytes);
    const w = await client.content.writer({ ref: `lading-upload-${digest}` });
    await w.write(randomBytes(200_000));
    await w.close();
    const opened: number[] = [];
    expect(await client.content.put(source(bytes).descriptor, source(bytes, opened))).toBe('written');
    expect(opened).toEqual([200_000, 0]);
    expect((await client.content.info(digest)).size).toBe(bytes.length);
  });

  it('put shares what another namespace holds without sending it, and says exists for its own', async () => {
    const bytes = randomBytes(400_000);
    const desc = source(bytes).descriptor;
    expect(await client.content.put(desc, source(bytes))).toBe('written');
    const other = client.withNamespace('client-other').content;
    const opened: number[] = [];
    expect(await other.put(desc, source(bytes, opened))).toBe('written');
    expect(opened).toEqual([]);
    expect((await other.info(desc.digest)).size).toBe(bytes.length);
    expect(await other.put(desc, source(bytes, opened))).toBe('exists');
  });

  it('an aborted put stops with the AbortError and keeps the ingest for a resume', async () => {
    const bytes = randomBytes(2_000_000);
    const controller = new AbortController();
    const slow = {
      descriptor: source(bytes).descriptor,
      async *open() {
        yield bytes.subarray(0, 600_000);
        // Abort only once containerd holds some bytes of the ingest (writes are pipelined: the first may still be
        // in flight), so there is something to resume however slow the machine is.
        const ref = `lading-upload-${slow.descriptor.digest}`;
        for (let i = 0; i < 200; i++) {
          const held = (await client.content.listIngests()).find((s) => s.ref === ref);
          if (held !== undefined && held.offset > 0) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        controller.abort();
        yield bytes.subarray(600_000);
      },
    };
    const error = await client.content
      .put(slow.descriptor, slow, { signal: controller.signal })
      .catch((e) => e);
    expect((error as Error).name).toBe('AbortError');
    await expect(client.content.info(slow.descriptor.digest)).rejects.toBeInstanceOf(NotFoundError);
    const resumed: number[] = [];
    await client.content.put(slow.descriptor, source(bytes), { onResume: (e) => resumed.push(e.offset) });
    expect(resumed[0]).toBeGreaterThan(0);
  });

  it('images.put updates a record in place: created once, CreatedAt kept, UpdatedAt moved', async () => {
    const a = await writeBlob(client.content, Buffer.from('{"a":1}'), { mediaType: 'application/json' });
    const b = await writeBlob(client.content, Buffer.from('{"b":2}'), { mediaType: 'application/json' });
    const first = await client.images.put({ name: 'example.com/r:1', target: a });
    expect(first.created).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    const second = await client.images.put({ name: 'example.com/r:1', target: b });
    expect(second.created).toBe(false);
    expect(second.record.createdAt.getTime()).toBe(first.record.createdAt.getTime());
    expect(second.record.updatedAt.getTime()).toBeGreaterThan(first.record.updatedAt.getTime());
    expect((await client.images.get('example.com/r:1')).target.digest).toBe(b.digest);
    const ls = execFileSync('ctr', ['-a', daemon.address, '-n', 'client', 'images', 'ls'], {
      encoding: 'utf8',
    });
    expect(ls).toMatch(new RegExp(`^example.com/r:1\\s+application/json\\s+${b.digest}`, 'm'));
  });

  describe('unpacking', () => {
    /** A gzip layer made here with GNU tar and zlib; its diff ID is the tar's sha256. */
    async function layer(name: string, files: Record<string, string>) {
      const root = join(dir.path, name);
      await mkdir(root, { recursive: true });
      for (const [f, body] of Object.entries(files)) await writeFile(join(root, f), body);
      const tar = execFileSync('tar', ['-C', root, '--sort=name', '--owner=0', '--group=0', '-cf', '-', '.']);
      const gz = gzipSync(tar);
      const desc = await writeBlob(client.content, gz, {
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
      });
      return { blob: desc, diffId: sha256(tar) };
    }
    const snapshots = (snapshotter = 'overlayfs') =>
      execFileSync(
        'ctr',
        ['-a', daemon.address, '-n', 'client', 'snapshots', '--snapshotter', snapshotter, 'ls'],
        {
          encoding: 'utf8',
        },
      );

    it('applies each layer onto its parent chain, skips what is committed, labels config and layers', async () => {
      const l1 = await layer('l1', { a: 'one\n' });
      const l2 = await layer('l2', { b: 'two\n' });
      const config = Buffer.from(
        JSON.stringify({
          architecture: 'amd64',
          os: 'linux',
          rootfs: { type: 'layers', diff_ids: [l1.diffId, l2.diffId] },
        }),
      );
      const configDesc = await writeBlob(client.content, config, {
        mediaType: 'application/vnd.oci.image.config.v1+json',
      });
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: configDesc,
          layers: [l1.blob, l2.blob],
        }),
      );
      const root: Descriptor = await writeBlob(client.content, manifest, {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
      });
      const chain2 = sha256(`${l1.diffId} ${l2.diffId}`);
      const result = await unpackImage(client, root, {
        snapshotter: 'native',
        platform: { os: 'linux', architecture: 'amd64' },
      });
      expect(result).toMatchObject({ chainId: chain2, applied: 2, skipped: 0 });
      const ls = snapshots('native');
      expect(ls).toMatch(new RegExp(`^${l1.diffId}\\s+Committed`, 'm'));
      expect(ls).toMatch(new RegExp(`^${chain2}\\s+${l1.diffId}\\s+Committed`, 'm'));
      expect(ls).not.toContain('extract-');
      expect((await client.content.info(configDesc.digest)).labels).toEqual({
        'containerd.io/gc.ref.snapshot.native': chain2,
      });
      expect((await client.content.info(l2.blob.digest)).labels).toEqual({
        'containerd.io/uncompressed': l2.diffId,
      });
      const again = await unpackImage(client, root, {
        snapshotter: 'native',
        platform: { os: 'linux', architecture: 'amd64' },
      });
      expect(again).toMatchObject({ applied: 0, skipped: 2 });
    });

    it('a diff ID that does not match: IntegrityError, and no snapshot left behind', async () => {
      const l = await layer('l3', { c: 'three\n' });
      const wrong = sha256('not this layer');
      const error = await unpackLayers(client, [{ blob: l.blob, diffId: wrong }], {
        snapshotter: 'native',
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(IntegrityError);
      expect(error).toMatchObject({ code: 'DIFF_ID_MISMATCH', actual: l.diffId });
      const ls = snapshots('native');
      expect(ls).not.toContain(wrong);
      expect(ls).not.toContain('extract-');
    });

    it('a snapshotter containerd has not loaded is NotFoundError', async () => {
      await checkSnapshotter(client.snapshots, 'overlayfs');
      const error = await checkSnapshotter(client.snapshots, 'zfs').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NotFoundError);
      expect(error).toMatchObject({ code: 'SNAPSHOTTER_NOT_FOUND' });
    });
  });
});
