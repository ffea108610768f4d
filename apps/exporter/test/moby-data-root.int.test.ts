// `lading export -o type=moby --moby-root DIR` against the real dockerd: the root becomes one `dockerd --data-root
// DIR` starts on and runs the image from, `docker save` of it has lading's layers (skopeo reads them back), and a
// CLI killed with SIGKILL mid-export leaves a root the daemon starts on with the images it had.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  havePeers,
  makeTempDir,
  type RunningDockerd,
  run,
  startDockerd,
  startRegistry,
  type TempDir,
  writeBusyboxRootfs,
} from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lading, mainJs } from './helpers.js';

const peers = havePeers('dockerd', 'docker', 'busybox', 'skopeo', 'docker-registry');
const slow = 300_000;

describe.skipIf(!peers)('lading export -o type=moby --moby-root', () => {
  let tmp: TempDir;
  let rootfs: string;
  const env = () => ({ LADING_STORE: join(tmp.path, 'store') });
  const withDaemon = async <T>(
    dataRoot: string,
    storageDriver: 'vfs' | 'overlay2',
    fn: (d: RunningDockerd) => Promise<T>,
  ): Promise<T> => {
    const d = await startDockerd({ storageDriver, dataRoot });
    try {
      return await fn(d);
    } finally {
      await d.stop();
    }
  };

  beforeAll(async () => {
    tmp = await makeTempDir('lading-moby-root-');
    rootfs = join(tmp.path, 'rootfs');
    mkdirSync(rootfs);
    writeBusyboxRootfs(rootfs);
  });
  afterAll(async () => {
    await tmp?.cleanup();
  }, slow);

  it.each(['vfs', 'overlay2'] as const)(
    'into an empty DIR with --moby-driver %s: dockerd on DIR runs the image, its ID is containerimage.digest, docker save and docker push give lading layers',
    async (driver) => {
      const root = join(tmp.path, `root-${driver}`);
      const meta = join(tmp.path, `meta-${driver}.json`);
      const r = await lading(
        [
          'export',
          rootfs,
          '--cmd',
          '["/bin/sh","-c","echo hi"]',
          '-o',
          'type=moby,name=app:1',
          '--moby-root',
          root,
          '--moby-driver',
          driver,
          '--metadata-file',
          meta,
          '--progress',
          'plain',
        ],
        { env: env() },
      );
      expect(r.stderr).toContain('naming to docker.io/library/app:1');
      expect(r.code).toBe(0);
      const id = JSON.parse(readFileSync(meta, 'utf8'))['containerimage.digest'];
      const config = JSON.parse(
        readFileSync(join(root, 'image', driver, 'imagedb', 'content', 'sha256', id.slice(7)), 'utf8'),
      );
      const archive = join(tmp.path, `saved-${driver}.tar`);
      const registry = await startRegistry();
      const pushed = `${registry.host}/app:${driver}`;
      try {
        await withDaemon(root, driver, async (d) => {
          expect((await d.docker(['run', '--rm', '--network', 'none', 'app:1'])).stdout).toBe('hi\n');
          expect(JSON.parse((await d.docker(['image', 'inspect', 'app:1'])).stdout)[0].Id).toBe(id);
          await d.docker(['save', '-o', archive, 'app:1']);
          // docker push rebuilds the layer tars the same way (tar-split): the registry gets lading's layers.
          await d.docker(['tag', 'app:1', pushed]);
          await d.docker(['push', pushed]);
        });
        const pulled = join(tmp.path, `pulled-${driver}`);
        await run('skopeo', ['copy', '--src-tls-verify=false', `docker://${pushed}`, `dir:${pulled}`]);
        const manifest = JSON.parse(readFileSync(join(pulled, 'manifest.json'), 'utf8'));
        expect(manifest.config.digest).toBe(id);
        const diffIds = manifest.layers.map(
          (l: { digest: string }) =>
            `sha256:${createHash('sha256')
              .update(gunzipSync(readFileSync(join(pulled, l.digest.slice(7)))))
              .digest('hex')}`,
        );
        expect(diffIds).toEqual(config.rootfs.diff_ids);
      } finally {
        await registry.stop();
      }
      // skopeo reads the saved archive back: the layers are the ones lading's config lists.
      const inspected = JSON.parse((await run('skopeo', ['inspect', `docker-archive:${archive}`])).stdout);
      expect(inspected.Layers).toEqual(config.rootfs.diff_ids);
      const oci = join(tmp.path, `copied-${driver}`);
      await run('skopeo', ['copy', `docker-archive:${archive}`, `oci:${oci}:app`]);
      const copied = JSON.parse(
        (await lading(['inspect', `oci:${oci}:app`, '--config'], { env: env() })).stdout,
      );
      expect(copied.rootfs.diff_ids).toEqual(config.rootfs.diff_ids);
    },
    slow,
  );

  it(
    'a CLI killed with SIGKILL mid-export leaves a root dockerd starts on, with the images it had; the next export completes',
    async () => {
      const root = join(tmp.path, 'root-killed');
      const first = await lading(
        [
          'export',
          rootfs,
          '--cmd',
          '["/bin/sh","-c","echo first"]',
          '-o',
          'type=moby,name=first:1',
          '--moby-root',
          root,
        ],
        { env: env() },
      );
      expect(first.code).toBe(0);
      // A layer big enough that the data-root phase takes a while: many files of random bytes.
      const big = join(tmp.path, 'big');
      for (let d = 0; d < 40; d++) {
        mkdirSync(join(big, `d${d}`), { recursive: true });
        for (let f = 0; f < 60; f++) writeFileSync(join(big, `d${d}`, `f${f}`), randomBytes(48 * 1024));
      }
      const args = [
        mainJs,
        'export',
        rootfs,
        big,
        '-o',
        'type=moby,name=second:1',
        '--moby-root',
        root,
        '--progress',
        'plain',
      ];
      const child = spawn(process.execPath, args, {
        env: { ...process.env, ...env() },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      const killed = new Promise<NodeJS.Signals | null>((resolve) => {
        child.stderr.on('data', (c: Buffer) => {
          stderr += c.toString();
          // The big layer (the base is in the root already) is being unpacked into the root: kill it there.
          const writes = stderr.match(/writing layer sha256:/g) ?? [];
          if (writes.length >= 1) setTimeout(() => child.kill('SIGKILL'), 200);
        });
        child.on('close', (_code, signal) => resolve(signal));
      });
      expect(await killed).toBe('SIGKILL');
      // It died mid-layer: its staging directory is there, not in place, and no image config was written.
      expect(readdirSync(join(root, 'vfs', 'dir')).some((n) => n.startsWith('lading-staging-'))).toBe(true);
      expect(readdirSync(join(root, 'image', 'vfs', 'imagedb', 'content', 'sha256'))).toHaveLength(1);
      await withDaemon(root, 'vfs', async (d) => {
        const images = (await d.docker(['images', '--format', '{{.Repository}}:{{.Tag}}'])).stdout.trim();
        expect(images).toBe('first:1');
        expect((await d.docker(['run', '--rm', '--network', 'none', 'first:1'])).stdout).toBe('first\n');
      });
      const again = await lading(args.slice(1), { env: env() });
      expect(again.code).toBe(0);
      // What the killed run left was removed; the image is whole.
      expect(readdirSync(join(root, 'vfs', 'dir')).some((n) => n.startsWith('lading-staging-'))).toBe(false);
      expect(readdirSync(join(root, 'image', 'vfs', 'layerdb', 'tmp'))).toEqual([]);
      await withDaemon(root, 'vfs', async (d) => {
        const images = (await d.docker(['images', '--format', '{{.Repository}}:{{.Tag}}'])).stdout
          .trim()
          .split('\n');
        expect(images.sort()).toEqual(['first:1', 'second:1']);
        const out = await d.docker([
          'run',
          '--rm',
          '--network',
          'none',
          'second:1',
          'sh',
          '-c',
          'ls /d39 | wc -l',
        ]);
        expect(out.stdout.trim()).toBe('60');
      });
    },
    slow,
  );

  it('refuses a --moby-driver that is not vfs or overlay2 (exit 2), and a root of another driver (exit 3)', async () => {
    const bad = await lading(
      [
        'export',
        rootfs,
        '-o',
        'type=moby,name=x',
        '--moby-root',
        join(tmp.path, 'r'),
        '--moby-driver',
        'aufs',
      ],
      { env: env() },
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--moby-driver "aufs": use vfs or overlay2');
    const other = await lading(
      [
        'export',
        rootfs,
        '-o',
        'type=moby,name=x',
        '--moby-root',
        join(tmp.path, 'root-overlay2'),
        '--moby-driver',
        'vfs',
      ],
      { env: env() },
    );
    expect(other.code).toBe(3);
    expect(other.stderr).toContain('holds images of the overlay2 storage driver, not vfs');
    expect(other.stderr).not.toContain('    at ');
    expect(existsSync(join(tmp.path, 'root-overlay2', 'image', 'vfs'))).toBe(false);
  });
});
