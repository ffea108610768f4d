// `type=image` into a real containerd 1.6 (its own root, state and socket), checked with ctr: images check, content
// labels, snapshots, ctr run; naming as BuildKit's image exporter does it; multi-platform; bad input.
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { connectContainerd } from '@lading/containerd';
import {
  havePeers,
  type PeerSetup,
  type RunningContainerd,
  setUpPeer,
  startContainerd,
  type TempDir,
} from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lading } from './helpers.js';

const sha256 = (b: Uint8Array | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe.runIf(havePeers('containerd', 'ctr', 'runc', 'busybox'))('type=image into containerd', () => {
  let daemon: RunningContainerd;
  let dir: TempDir;
  let rootfs: string;
  let extra: string;
  let peer: PeerSetup<RunningContainerd> | undefined;
  beforeAll(async () => {
    peer = await setUpPeer(startContainerd(), 'lading-ctrd-export-', { busybox: true });
    ({ daemon, dir, rootfs } = peer);
    extra = join(dir.path, 'extra');
    await mkdir(join(extra, 'etc'), { recursive: true });
    await writeFile(join(extra, 'etc', 'motd'), 'second layer\n');
  }, 60_000);
  afterAll(async () => peer?.stop());

  const env = () => ({ LADING_STORE: join(dir.path, 'store') });
  const ctr = async (args: string[], namespace = 'default') => (await daemon.ctr(args, { namespace })).stdout;
  const exportTo = async (output: string, more: string[] = [], namespace?: string) => {
    const r = await lading(
      [
        'export',
        rootfs,
        extra,
        '--cmd',
        '["/bin/sh","-c","echo hi"]',
        '-o',
        output,
        '--containerd-address',
        daemon.address,
        ...(namespace ? ['--namespace', namespace] : []),
        '--json',
        '--progress',
        'json',
        ...more,
      ],
      { cwd: dir.path, env: env() },
    );
    return r;
  };
  const responseOf = (stdout: string) => JSON.parse(stdout).outputs[0].response as Record<string, string>;
  /** `ctr content ls`: digest -> labels. */
  const contentLabels = async (namespace = 'default') => {
    const out = new Map<string, Record<string, string>>();
    for (const line of (await ctr(['content', 'ls'], namespace)).trim().split('\n').slice(1)) {
      // ctr pads its columns with tabs (tabwriter): a column as wide as the next tab stop gets two.
      const [digest, , , labels = ''] = line.split(/\t+/);
      const parsed: Record<string, string> = {};
      for (const kv of labels === '' ? [] : labels.split(',')) {
        const eq = kv.indexOf('=');
        parsed[kv.slice(0, eq)] = kv.slice(eq + 1);
      }
      out.set(digest as string, parsed);
    }
    return out;
  };
  const imageNames = async (namespace = 'default') =>
    (await ctr(['images', 'ls', '-q'], namespace)).trim().split('\n').filter(Boolean).sort();
  /** Everything the image holds, read back with ctr and checked here with node:crypto and zlib. */
  const readImage = async (manifestDigest: string, namespace = 'default') => {
    const manifestBytes = Buffer.from(
      (await daemon.ctr(['content', 'get', manifestDigest], { namespace })).stdout,
      'utf8',
    );
    expect(sha256(manifestBytes)).toBe(manifestDigest);
    const manifest = JSON.parse(manifestBytes.toString()) as {
      config: { digest: string };
      layers: { digest: string; mediaType: string }[];
    };
    const diffIds: string[] = [];
    for (const l of manifest.layers) {
      const blob = await run(['content', 'get', l.digest], namespace);
      expect(sha256(blob)).toBe(l.digest);
      diffIds.push(sha256(gunzipSync(blob)));
    }
    return { manifest, diffIds };
  };
  const run = async (args: string[], namespace: string): Promise<Buffer> => {
    const { spawn } = await import('node:child_process');
    return new Promise((resolve, reject) => {
      const child = spawn('ctr', ['--address', daemon.address, '--namespace', namespace, ...args]);
      const parts: Buffer[] = [];
      child.stdout.on('data', (c: Buffer) => parts.push(c));
      child.on('error', reject);
      child.on('close', (code) =>
        code === 0 ? resolve(Buffer.concat(parts)) : reject(new Error(`ctr ${code}`)),
      );
    });
  };
  // The image spec's ChainID, computed here.
  const chainIdOf = (diffIds: string[]) =>
    diffIds.reduce((chain, d, i) => (i === 0 ? d : sha256(`${chain} ${d}`)), '');

  it('export -o type=image,name=app:1,unpack=true: complete, unpacked, labelled, and ctr run prints hi', async () => {
    const r = await exportTo('type=image,name=app:1,unpack=true');
    expect(r.stderr).not.toContain('"event":"done","id":"layers","error"');
    expect(r.code).toBe(0);
    const response = responseOf(r.stdout);
    const digest = response['containerimage.digest'] as string;
    expect(response['image.name']).toBe('app:1');

    const check = await ctr(['images', 'check']);
    const line = check.split('\n').find((l) => l.startsWith('docker.io/library/app:1 ')) ?? '';
    expect(line).toContain(digest);
    expect(line).toMatch(/complete \(3\/3\)/);
    expect(line).toMatch(/true\s*$/);

    const { manifest, diffIds } = await readImage(digest);
    expect(manifest.config.digest).toBe(response['containerimage.config.digest']);
    const chainId = chainIdOf(diffIds);
    expect(diffIds).toHaveLength(2);
    const snapshots = await ctr(['snapshots', 'ls']);
    expect(snapshots).toMatch(new RegExp(`^${diffIds[0]}\\s+Committed`, 'm'));
    expect(snapshots).toMatch(new RegExp(`^${chainId}\\s+${diffIds[0]}\\s+Committed`, 'm'));
    // Both layers went into overlayfs while they were built (the base one into a bind mount, the upper one into an
    // overlay upperdir); the unpack then found both chains committed.
    const debug = r.stderr.split('\n').filter((l) => l.includes('"debug"'));
    expect(debug.join('\n')).toContain(`layer 0: ${diffIds[0]} applied in place (bind)`);
    expect(debug.join('\n')).toContain(`layer 1: ${chainId} applied in place (overlay)`);
    expect(debug.join('\n')).toContain(`layer 1: ${chainId} already unpacked`);

    // BuildKit's labels: the manifest keeps config and layers, the config keeps the snapshot chain, each layer
    // says its diff ID.
    const labels = await contentLabels();
    expect(labels.get(digest)).toEqual({
      'containerd.io/gc.ref.content.0': manifest.config.digest,
      'containerd.io/gc.ref.content.1': manifest.layers[0]?.digest,
      'containerd.io/gc.ref.content.2': manifest.layers[1]?.digest,
    });
    expect(labels.get(manifest.config.digest)).toEqual({
      'containerd.io/gc.ref.snapshot.overlayfs': chainId,
    });
    for (const [i, l] of manifest.layers.entries()) {
      expect(labels.get(l.digest)).toEqual({ 'containerd.io/uncompressed': diffIds[i] });
    }
    // The temporary lease is gone and a garbage collection keeps everything: the record holds it.
    expect((await ctr(['leases', 'ls'])).trim().split('\n')).toHaveLength(1);
    const lease = (await ctr(['leases', 'create'])).trim();
    await ctr(['leases', 'delete', '--sync', lease]);
    expect(await ctr(['images', 'check'])).toMatch(/docker.io\/library\/app:1 .*complete \(3\/3\)/);
    expect(await ctr(['snapshots', 'ls'])).toContain(chainId);

    // ctr run finds the chain committed and unpacks nothing: the snapshot keeps its creation time.
    const before = JSON.parse(await ctr(['snapshots', 'info', chainId]));
    const out = await ctr(['run', '--rm', 'docker.io/library/app:1', 't1']);
    expect(out.trim()).toBe('hi');
    expect(JSON.parse(await ctr(['snapshots', 'info', chainId]))).toEqual(before);
  }, 120_000);

  it('re-export of the same tree: the record is updated (CreatedAt stays), nothing is sent or applied again', async () => {
    const client = await connectContainerd({ address: daemon.address, namespace: 'reexport' });
    try {
      const first = await exportTo('type=image,name=re:1,unpack=true', [], 'reexport');
      expect(first.code).toBe(0);
      const a = await client.images.get('docker.io/library/re:1');
      await new Promise((r) => setTimeout(r, 1100));
      const second = await exportTo('type=image,name=re:1,unpack=true', ['--label', 'again=1'], 'reexport');
      expect(second.code).toBe(0);
      const b = await client.images.get('docker.io/library/re:1');
      expect(b.target.digest).toBe(responseOf(second.stdout)['containerimage.digest']);
      expect(b.target.digest).not.toBe(a.target.digest);
      expect(b.createdAt.getTime()).toBe(a.createdAt.getTime());
      expect(b.updatedAt.getTime()).toBeGreaterThan(a.updatedAt.getTime());
      // layers containerd already holds are not sent; committed snapshots are not applied again
      expect(second.stderr).toMatch(/"message":"layer sha256:[0-9a-f]{64}: already in containerd"/);
      expect(second.stderr).not.toContain('sent to containerd');
      expect(second.stderr).not.toMatch(/"message":"layer \d: sha256:[0-9a-f]{64} applied"/);
      expect(second.stderr).toMatch(/"message":"layer 1: sha256:[0-9a-f]{64} already unpacked"/);
      expect(await imageNames('reexport')).toEqual(['docker.io/library/re:1']);
    } finally {
      client.close();
    }
  }, 120_000);

  it('several names and name-canonical: one record each, and NAME@DIGEST', async () => {
    const r = await exportTo(
      'type=image,"name=multi-a:1,registry.example/team/b:2",name-canonical=true',
      [],
      'names',
    );
    expect(r.code).toBe(0);
    const digest = responseOf(r.stdout)['containerimage.digest'] as string;
    expect(responseOf(r.stdout)['image.name']).toBe('multi-a:1,registry.example/team/b:2');
    expect(await imageNames('names')).toEqual(
      [
        'docker.io/library/multi-a:1',
        `docker.io/library/multi-a:1@${digest}`,
        'registry.example/team/b:2',
        `registry.example/team/b:2@${digest}`,
      ].sort(),
    );
    const check = await ctr(['images', 'check'], 'names');
    expect(check.split('\n').filter((l) => l.includes(digest) && l.includes('complete'))).toHaveLength(4);
  }, 120_000);

  it('dangling-name-prefix names PREFIX@DIGEST, and name-canonical adds no @DIGEST@DIGEST', async () => {
    const r = await exportTo('type=image,dangling-name-prefix=dangling,name-canonical=true', [], 'dangling');
    expect(r.code).toBe(0);
    const digest = responseOf(r.stdout)['containerimage.digest'] as string;
    expect(responseOf(r.stdout)['image.name']).toBe(`dangling@${digest}`);
    expect(await imageNames('dangling')).toEqual([`docker.io/library/dangling@${digest}`]);
  }, 120_000);

  it('a multi-platform export is one record naming the index; unpack takes this machine’s platform', async () => {
    const r = await lading(
      [
        'export',
        rootfs,
        '--platform',
        'linux/amd64,linux/arm64',
        '-o',
        'type=image,name=mp:1,unpack=true,oci-mediatypes=true',
        '--containerd-address',
        daemon.address,
        '--namespace',
        'multi',
        '--json',
        '--progress',
        'quiet',
      ],
      { cwd: dir.path, env: env() },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const digest = responseOf(r.stdout)['containerimage.digest'] as string;
    const ls = await ctr(['images', 'ls'], 'multi');
    const rows = ls.trim().split('\n').slice(1);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(
      new RegExp(`^docker.io/library/mp:1\\s+application/vnd.oci.image.index.v1\\+json\\s+${digest}`),
    );
    expect(rows[0]).toContain('linux/amd64,linux/arm64');
    const index = JSON.parse((await run(['content', 'get', digest], 'multi')).toString()) as {
      manifests: { digest: string; platform: { architecture: string } }[];
    };
    const labels = await contentLabels('multi');
    expect(labels.get(digest)).toEqual({
      'containerd.io/gc.ref.content.0': index.manifests[0]?.digest,
      'containerd.io/gc.ref.content.1': index.manifests[1]?.digest,
    });
    expect(await ctr(['images', 'check'], 'multi')).toMatch(/complete/);
    const amd64 = index.manifests.find((m) => m.platform.architecture === 'amd64');
    const { diffIds } = await readImage(amd64?.digest as string, 'multi');
    expect(await ctr(['snapshots', 'ls'], 'multi')).toContain(chainIdOf(diffIds));
  }, 120_000);

  it('unpack=true,snapshotter=native unpacks into native', async () => {
    const r = await exportTo('type=image,name=nat:1,unpack=true,snapshotter=native', [], 'native');
    expect(r.code).toBe(0);
    const { manifest, diffIds } = await readImage(
      responseOf(r.stdout)['containerimage.digest'] as string,
      'native',
    );
    const chainId = chainIdOf(diffIds);
    expect(await ctr(['snapshots', '--snapshotter', 'native', 'ls'], 'native')).toContain(chainId);
    expect((await contentLabels('native')).get(manifest.config.digest)).toEqual({
      'containerd.io/gc.ref.snapshot.native': chainId,
    });
  }, 120_000);

  it('bad input: no socket (exit 5), a refused namespace (exit 3), an unknown snapshotter (exit 4); nothing named', async () => {
    const missing = join(dir.path, 'no-such.sock');
    const noSocket = await lading(
      ['export', extra, '-o', 'type=image,name=x:1', '--containerd-address', missing],
      { cwd: dir.path, env: env() },
    );
    expect(noSocket.code).toBe(5);
    expect(noSocket.stderr).toContain(missing);
    expect(noSocket.stderr.trim().split('\n').at(-1)).toMatch(/no containerd socket at/);
    expect(noSocket.stderr).not.toMatch(/\n\s+at /);

    const badNamespace = await lading(
      [
        'export',
        extra,
        '-o',
        'type=image,name=x:1',
        '--containerd-address',
        daemon.address,
        '--namespace',
        'no/such',
      ],
      { cwd: dir.path, env: env() },
    );
    expect(badNamespace.code).toBe(3);
    expect(badNamespace.stderr).toContain('invalid containerd namespace "no/such"');

    const badSnapshotter = await exportTo('type=image,name=x:1,unpack=true,snapshotter=zfs', [], 'badsnap');
    expect(badSnapshotter.code).toBe(4);
    expect(badSnapshotter.stderr).toContain('no snapshotter "zfs"');
    expect(await imageNames('badsnap')).toEqual([]);
    expect((await ctr(['leases', 'ls'], 'badsnap')).trim().split('\n')).toHaveLength(1);
    expect((await ctr(['content', 'ls', '-q'], 'badsnap')).trim()).toBe('');
  }, 120_000);
});
