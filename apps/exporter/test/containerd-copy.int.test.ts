// lading copy into and out of a real containerd (containerd://NAME): from an OCI layout and from a Distribution
// registry, checked with ctr (images check, run) and skopeo (the layout copied back out).
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import {
  havePeers,
  makeTempDir,
  type RunningContainerd,
  run,
  startContainerd,
  startRegistry,
  type TempDir,
  writeBusyboxRootfs,
} from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lading } from './helpers.js';

const sha256 = (b: string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe.runIf(havePeers('containerd', 'ctr', 'runc', 'busybox', 'skopeo', 'docker-registry'))(
  'lading copy and containerd://',
  () => {
    let daemon: RunningContainerd;
    let registry: Awaited<ReturnType<typeof startRegistry>>;
    let dir: TempDir;
    let digest: string;
    beforeAll(async () => {
      [daemon, registry, dir] = await Promise.all([
        startContainerd(),
        startRegistry(),
        makeTempDir('lading-ctrd-copy-'),
      ]);
      const rootfs = join(dir.path, 'rootfs');
      writeBusyboxRootfs(rootfs);
      const r = await lading(
        [
          'export',
          rootfs,
          '--cmd',
          '["/bin/sh","-c","echo copied"]',
          '-o',
          'type=oci,tar=false,dest=layout',
          '--tag',
          'c:1',
          '--json',
        ],
        { cwd: dir.path, env: env() },
      );
      expect(r.code).toBe(0);
      digest = JSON.parse(r.stdout).outputs[0].response['containerimage.digest'];
    }, 60_000);
    afterAll(async () => {
      await Promise.all([daemon?.stop(), registry?.stop()]);
      await dir?.cleanup();
    });

    const env = () => ({ LADING_STORE: join(dir.path, 'store') });
    const ctr = async (args: string[], namespace = 'default') =>
      (await daemon.ctr(args, { namespace })).stdout;
    const copy = (args: string[]) =>
      lading(['copy', ...args, '--containerd-address', daemon.address, '--progress', 'quiet'], {
        cwd: dir.path,
        env: env(),
      });

    it('an OCI layout into containerd in one command, unpacked: ctr run starts it', async () => {
      const r = await copy(['oci:layout:1', 'containerd://copied:1', '--unpack']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(digest);
      expect(await ctr(['images', 'check'])).toMatch(
        new RegExp(`^docker.io/library/copied:1 .*${digest} complete \\(2/2\\).* true\\s*$`, 'm'),
      );
      const labels = (await ctr(['content', 'ls'])).split('\n').find((l) => l.startsWith(digest)) ?? '';
      expect(labels).toContain('containerd.io/gc.ref.content.0=');
      expect(labels).toContain('containerd.io/gc.ref.content.1=');
      // nothing left leased: a garbage collection keeps the image (the record holds it)
      const lease = (await ctr(['leases', 'create'])).trim();
      await ctr(['leases', 'delete', '--sync', lease]);
      expect(await ctr(['images', 'check'])).toMatch(/copied:1 .*complete \(2\/2\)/);
      expect((await ctr(['run', '--rm', 'docker.io/library/copied:1', 'c1'])).trim()).toBe('copied');
    }, 120_000);

    it('and back out into an OCI layout that skopeo reads: the same manifest', async () => {
      const r = await copy(['containerd://copied:1', 'oci:back:b']);
      expect(r.code).toBe(0);
      const raw = (await run('skopeo', ['inspect', '--raw', `oci:${join(dir.path, 'back')}:b`])).stdout;
      expect(sha256(raw)).toBe(digest);
      const shortName = await copy(['containerd://docker.io/library/copied:1', 'oci:back:c']);
      expect(shortName.code).toBe(0);
    }, 120_000);

    it('a registry image into a namespace of containerd', async () => {
      const ref = `${registry.host}/lading/c:1`;
      expect(
        (
          await lading(['copy', 'oci:layout:1', `docker://${ref}`, '--insecure'], {
            cwd: dir.path,
            env: env(),
          })
        ).code,
      ).toBe(0);
      const r = await copy([
        `docker://${ref}`,
        'containerd://' + ref,
        '--insecure',
        '--namespace',
        'fromreg',
      ]);
      expect(r.code).toBe(0);
      expect(await ctr(['images', 'check'], 'fromreg')).toMatch(
        new RegExp(`^${ref.replace(/[.]/g, '\\.')} .*${digest} complete \\(2/2\\)`, 'm'),
      );
    }, 120_000);

    it('a name containerd does not have is exit 4; a bad namespace exit 3', async () => {
      const missing = await copy(['containerd://nothing:1', 'oci:none:n']);
      expect(missing.code).toBe(4);
      expect(missing.stderr).toContain('not found');
      const bad = await copy(['oci:layout:1', 'containerd://x:1', '--namespace', 'two..dots']);
      expect(bad.code).toBe(3);
      expect(bad.stderr).toContain('invalid containerd namespace');
    }, 60_000);
  },
);
