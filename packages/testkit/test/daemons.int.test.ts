import { existsSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  havePeers,
  makeTempDir,
  type RunningContainerd,
  type RunningDockerd,
  run,
  startContainerd,
  startDockerd,
  writeBusyboxRootfs,
} from '../src/index.js';

describe.runIf(havePeers('dockerd', 'docker', 'busybox', 'tar'))('startDockerd', () => {
  let dockerd: RunningDockerd;
  beforeAll(async () => {
    dockerd = await startDockerd();
  }, 90_000);
  afterAll(async () => {
    await dockerd?.stop();
  });

  it('runs an imported busybox rootfs with --network none, on its own data-root', async () => {
    const dir = await makeTempDir();
    writeBusyboxRootfs(dir.path);
    const tarFile = join(dir.path, '..', `${dir.path.split('/').pop()}.tar`);
    await run('tar', ['-C', dir.path, '-cf', tarFile, '.']);
    await dockerd.docker(['import', tarFile, 'bb:1']);
    const out = await dockerd.docker([
      'run',
      '--rm',
      '--network',
      'none',
      'bb:1',
      '/bin/sh',
      '-c',
      'echo hi',
    ]);
    expect(out.stdout).toBe('hi\n');
    expect(existsSync(join(dockerd.dataRoot, 'image', 'vfs', 'imagedb'))).toBe(true);
    await dir.cleanup();
    await rm(tarFile, { force: true });
  });

  it('builds with BuildKit through the API and reports the image ID that docker inspect shows', async () => {
    const dir = await makeTempDir();
    writeFileSync(join(dir.path, 'Dockerfile'), 'FROM scratch\nENV A=b\nCMD ["/x"]\n');
    const id = await dockerd.build(dir.path, { tag: 'built:1' });
    const inspect = await dockerd.docker(['image', 'inspect', '--format', '{{.Id}}', 'built:1']);
    expect(inspect.stdout.trim()).toBe(id);
    await dir.cleanup();
  });
});

describe.runIf(havePeers('containerd', 'ctr'))('startContainerd', () => {
  let containerd: RunningContainerd;
  beforeAll(async () => {
    containerd = await startContainerd();
  }, 60_000);
  afterAll(async () => {
    await containerd?.stop();
  });

  it('answers ctr on its own socket, with the native and overlayfs snapshotters', async () => {
    const plugins = await containerd.ctr(['plugins', 'ls']);
    expect(plugins.stdout).toMatch(/io\.containerd\.snapshotter\.v1\s+native\s+\S+\s+ok/);
    expect(plugins.stdout).toMatch(/io\.containerd\.snapshotter\.v1\s+overlayfs\s+\S+\s+ok/);
    expect(containerd.address.startsWith(containerd.dir.path)).toBe(true);
  });
});
