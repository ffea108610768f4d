// The containerd export's layer tap against a real containerd 1.6: layers written to the sinks while they are
// "built" are applied into the snapshotter in place, the export's unpack then finds their chains committed, and the
// image runs with ctr; an aborted tap leaves no snapshot and no lease.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createMemoryStore, type FullStore, writeBlob } from '@lading/content-store';
import type { Digest } from '@lading/digest';
import {
  havePeers,
  type PeerSetup,
  type RunningContainerd,
  setUpPeer,
  startContainerd,
  type TempDir,
} from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImageExporters } from '../src/exporters/image-exporter.js';
import type { ExportContext, ExportLayer, LayerSink, LayerTap } from '../src/plugin/types.js';

const sha256 = (b: Uint8Array | string) => `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;
const asRoot = process.getuid?.() === 0;

describe.runIf(havePeers('containerd', 'ctr', 'runc', 'busybox', 'tar') && asRoot)(
  'the containerd layer tap',
  () => {
    let daemon: RunningContainerd;
    let dir: TempDir;
    let store: FullStore;
    const tars: Buffer[] = [];
    const layers: ExportLayer[] = [];
    let peer: PeerSetup<RunningContainerd> | undefined;
    beforeAll(async () => {
      peer = await setUpPeer(startContainerd(), 'lading-ctrd-tap-', { busybox: true });
      ({ daemon, dir } = peer);
      store = createMemoryStore();
      const rootfs = peer.rootfs;
      const upper = join(dir.path, 'upper');
      mkdirSync(join(upper, 'etc'), { recursive: true });
      writeFileSync(join(upper, 'etc', 'motd'), 'applied in place\n');
      for (const root of [rootfs, upper]) {
        const tar = execFileSync(
          'tar',
          ['-C', root, '--sort=name', '--numeric-owner', '-cf', '-', ...readdirSync(root)],
          {
            maxBuffer: 1 << 28,
          },
        );
        const blob = gzipSync(tar);
        const descriptor = await writeBlob(store, blob, {
          mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
        });
        tars.push(tar);
        layers.push({ descriptor, diffId: sha256(tar), uncompressedSize: tar.length });
      }
    }, 120_000);
    afterAll(async () => peer?.stop());

    const ctr = async (args: string[], namespace: string) => (await daemon.ctr(args, { namespace })).stdout;
    const snapshots = (namespace: string) =>
      ctr(['snapshots', '--snapshotter', 'overlayfs', 'ls'], namespace);
    const leases = async (namespace: string) =>
      (await ctr(['leases', 'ls'], namespace)).trim().split('\n').slice(1);
    const context = (logs: string[]): ExportContext => ({
      store,
      signal: new AbortController().signal,
      progress: { start: () => {}, update: () => {}, done: () => {} },
      logger: { warn: (m) => logs.push(`warn ${m}`), debug: (m) => logs.push(m) },
    });
    const instance = async (namespace: string, attrs: Record<string, string>) =>
      await createImageExporters({ address: daemon.address, namespace }).image.resolve(attrs, {
        cwd: dir.path,
        env: {},
      });
    const feed = async (sink: LayerSink, tar: Buffer) => {
      for (let i = 0; i < tar.length; i += 65536) await sink.write(tar.subarray(i, i + 65536));
    };

    it('unpack=true: each layer goes into overlayfs while it is written; the unpack skips them; ctr run works', async () => {
      const logs: string[] = [];
      const ctx = context(logs);
      const exporter = await instance('tap', { name: 'tap:1', unpack: 'true' });
      const tap = (await exporter.beginLayers?.(ctx)) as LayerTap;
      expect(tap).toBeDefined();
      const [l0, l1] = layers as [ExportLayer, ExportLayer];
      const [t0, t1] = tars as [Buffer, Buffer];
      // A layer on a chain containerd does not have yet is left to the diff service.
      expect(await tap.layer({ index: 1, parentDiffIds: [l0.diffId], size: t1.length })).toBeUndefined();
      const s0 = (await tap.layer({ index: 0, parentDiffIds: [], size: t0.length })) as LayerSink;
      expect(s0).toBeDefined();
      await feed(s0, t0);
      await s0.end(l0);
      const s1 = (await tap.layer({ index: 1, parentDiffIds: [l0.diffId], size: t1.length })) as LayerSink;
      expect(s1).toBeDefined();
      await feed(s1, t1);
      await s1.end(l1);
      const chain1 = sha256(`${l0.diffId} ${l1.diffId}`);
      const before = await snapshots('tap');
      expect(before).toMatch(new RegExp(`^${l0.diffId}\\s+Committed`, 'm'));
      expect(before).toMatch(new RegExp(`^${chain1}\\s+${l0.diffId}\\s+Committed`, 'm'));
      expect(before).not.toContain('extract-');

      const result = await exporter.export({ ref: { layers: [l0, l1] }, metadata: {}, provider: store }, ctx);
      expect(logs).toContain(`layer 0: ${l0.diffId} already unpacked`);
      expect(logs).toContain(`layer 1: ${chain1} already unpacked`);
      expect(logs.filter((l) => l.startsWith('warn '))).toEqual([]);
      expect(result.descriptor).toBeDefined();
      // Blobs are in containerd's content store, labelled as the diff service's apply would have them.
      const content = await ctr(['content', 'ls'], 'tap');
      for (const l of [l0, l1]) {
        expect(content).toMatch(
          new RegExp(`^${l.descriptor.digest}\\s.*containerd.io/uncompressed=${l.diffId}`, 'm'),
        );
      }
      expect(await leases('tap')).toEqual([]);
      const out = await ctr(
        ['run', '--rm', 'docker.io/library/tap:1', 'tap-run', '/bin/sh', '-c', 'cat /etc/motd'],
        'tap',
      );
      expect(out).toBe('applied in place\n');
    });

    it('an aborted tap, mid-layer: no snapshot and no lease left, and nothing named', async () => {
      const exporter = await instance('tap-abort', { name: 'tap:2', unpack: 'true' });
      const tap = (await exporter.beginLayers?.(context([]))) as LayerTap;
      const t0 = tars[0] as Buffer;
      const sink = (await tap.layer({ index: 0, parentDiffIds: [], size: t0.length })) as LayerSink;
      await sink.write(t0.subarray(0, 100_000));
      expect(await snapshots('tap-abort')).toContain('extract-');
      await tap.abort(new Error('another output failed'));
      expect((await snapshots('tap-abort')).trim().split('\n').slice(1)).toEqual([]);
      expect(await leases('tap-abort')).toEqual([]);
      expect((await ctr(['images', 'ls', '-q'], 'tap-abort')).trim()).toBe('');
    });

    it('no tap without unpack=true, or with store=false', async () => {
      for (const attrs of [{ name: 'tap:3' }, { name: 'tap:3', unpack: 'true', store: 'false' }]) {
        expect(await (await instance('tap-none', attrs)).beginLayers?.(context([]))).toBeUndefined();
      }
      expect(await leases('tap-none')).toEqual([]);
    });
  },
);
