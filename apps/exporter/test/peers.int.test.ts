import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { havePeers, makeTempDir, run, startRegistry, type TempDir } from '@lading/testkit';
import { treeContents } from '@lading/testkit/layer-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helloRootfs, lading } from './helpers.js';

let dir: TempDir;
beforeAll(async () => {
  dir = await makeTempDir('lading-exporter-peers-');
});
afterAll(async () => dir?.cleanup());
const env = () => ({ LADING_STORE: join(dir.path, 'store'), LADING_MOBY_ROOT: join(dir.path, 'moby') });

describe.runIf(havePeers('umoci', 'skopeo'))('OCI layouts read by umoci and skopeo', () => {
  it('umoci unpack --rootless gives back the tree; skopeo shows the config we asked for', async () => {
    const r = await lading(
      [
        'export',
        helloRootfs,
        '-o',
        'type=oci,tar=false,dest=layout',
        '--tag',
        'hello:1',
        '--env',
        'GREETING=hi',
        '--entrypoint',
        '["/bin/cat"]',
        '--cmd',
        '["/usr/share/hello/greeting.txt"]',
        '--workdir',
        '/srv',
        '--user',
        '1000:1000',
        '--label',
        'org.example=yes',
        '--expose',
        '8080/tcp',
      ],
      { cwd: dir.path, env: env() },
    );
    expect(r.stderr).not.toContain('ERROR');
    expect(r.code).toBe(0);
    await run('umoci', [
      'unpack',
      '--rootless',
      '--image',
      `${join(dir.path, 'layout')}:1`,
      join(dir.path, 'bundle'),
    ]);
    expect(treeContents(join(dir.path, 'bundle', 'rootfs'))).toEqual(treeContents(helloRootfs));
    const inspect = JSON.parse(
      (await run('skopeo', ['inspect', '--config', `oci:${join(dir.path, 'layout')}:1`])).stdout,
    );
    expect(inspect.config.Env).toContain('GREETING=hi');
    expect(inspect.config.Entrypoint).toEqual(['/bin/cat']);
    expect(inspect.config.Cmd).toEqual(['/usr/share/hello/greeting.txt']);
    expect(inspect.config.WorkingDir).toBe('/srv');
    expect(inspect.config.User).toBe('1000:1000');
    expect(inspect.config.Labels).toEqual({ 'org.example': 'yes' });
    expect(Object.keys(inspect.config.ExposedPorts)).toEqual(['8080/tcp']);
  }, 60_000);

  it('type=oci tarball and zstd layers are read by skopeo (oci-archive:)', async () => {
    const r = await lading(
      ['export', helloRootfs, '-o', 'type=oci,dest=hello.tar,compression=zstd', '--tag', 'hello:2', '--json'],
      { cwd: dir.path, env: env() },
    );
    expect(r.code).toBe(0);
    const digest = JSON.parse(r.stdout).outputs[0].response['containerimage.digest'];
    const raw = JSON.parse(
      (await run('skopeo', ['inspect', '--raw', `oci-archive:${join(dir.path, 'hello.tar')}:2`])).stdout,
    );
    expect(raw.layers[0].mediaType).toBe('application/vnd.oci.image.layer.v1.tar+zstd');
    const inspect = JSON.parse(
      (await run('skopeo', ['inspect', `oci-archive:${join(dir.path, 'hello.tar')}:2`])).stdout,
    );
    expect(inspect.Digest).toBe(digest);
  }, 60_000);

  it('type=docker is read by skopeo inspect docker-archive:', async () => {
    const r = await lading(
      ['export', helloRootfs, '-o', 'type=docker,dest=hello-docker.tar', '--tag', 'hello:3', '--json'],
      { cwd: dir.path, env: env() },
    );
    expect(r.code).toBe(0);
    const config = JSON.parse(r.stdout).outputs[0].response['containerimage.config.digest'];
    const inspect = JSON.parse(
      (await run('skopeo', ['inspect', `docker-archive:${join(dir.path, 'hello-docker.tar')}`])).stdout,
    );
    expect(inspect.Layers).toHaveLength(1);
    // the name in manifest.json's RepoTags selects the image
    const byName = JSON.parse(
      (await run('skopeo', ['inspect', `docker-archive:${join(dir.path, 'hello-docker.tar')}:hello:3`]))
        .stdout,
    );
    expect(byName.Layers).toEqual(inspect.Layers);
    const cfg = JSON.parse(
      (
        await run('skopeo', [
          'inspect',
          '--config',
          '--raw',
          `docker-archive:${join(dir.path, 'hello-docker.tar')}`,
        ])
      ).stdout,
    );
    expect(cfg.rootfs.diff_ids).toHaveLength(1);
    expect(config).toMatch(/^sha256:/);
  }, 60_000);
});

describe.runIf(havePeers('skopeo', 'docker-registry'))('push to a real registry', () => {
  it('type=registry pushes; skopeo inspects it; lading copy pulls it back; --cache-to type=registry', async () => {
    const registry = await startRegistry();
    try {
      const name = `${registry.host}/lading/hello:1`;
      const r = await lading(
        [
          'export',
          helloRootfs,
          '-o',
          `type=registry,name=${name},registry.insecure=true,oci-mediatypes=true`,
          '--cmd',
          '["/hi"]',
          '--json',
          '--cache-to',
          `type=registry,ref=${registry.host}/lading/cache:1,registry.insecure=true`,
        ],
        { cwd: dir.path, env: env() },
      );
      expect(r.stderr).not.toContain('ERROR');
      expect(r.code).toBe(0);
      const digest = JSON.parse(r.stdout).outputs[0].response['containerimage.digest'];
      const inspect = JSON.parse(
        (await run('skopeo', ['inspect', '--tls-verify=false', `docker://${name}`])).stdout,
      );
      expect(inspect.Digest).toBe(digest);
      const cfg = JSON.parse(
        (await run('skopeo', ['inspect', '--config', '--tls-verify=false', `docker://${name}`])).stdout,
      );
      expect(cfg.config.Cmd).toEqual(['/hi']);
      const cache = JSON.parse(
        (
          await run('skopeo', [
            'inspect',
            '--raw',
            '--tls-verify=false',
            `docker://${registry.host}/lading/cache:1`,
          ])
        ).stdout,
      );
      // BuildKit's default cache form since v0.21: one OCI image manifest whose config is the cache config.
      expect(cache.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
      expect(cache.config.mediaType).toBe('application/vnd.buildkit.cacheconfig.v0');
      const c = await lading(
        ['copy', `docker://${name}`, `oci:${join(dir.path, 'pulled')}:1`, '--insecure'],
        { cwd: dir.path, env: env() },
      );
      expect(c.code).toBe(0);
      expect(c.stdout.trim()).toBe(digest);
      const local = JSON.parse(
        (await run('skopeo', ['inspect', `oci:${join(dir.path, 'pulled')}:1`])).stdout,
      );
      expect(local.Digest).toBe(digest);
      // the pushed image as a docker:// base, pulled through @lading/push
      const onTop = await lading(
        [
          'export',
          join(helloRootfs, 'etc'),
          '--base',
          `docker://${name}`,
          '--base-insecure',
          '-o',
          'type=oci,tar=false,dest=top',
          '--tag',
          't:1',
        ],
        { cwd: dir.path, env: env() },
      );
      expect(onTop.stderr).not.toContain('ERROR');
      expect(onTop.code).toBe(0);
      const top = JSON.parse((await run('skopeo', ['inspect', `oci:${join(dir.path, 'top')}:1`])).stdout);
      expect(top.Layers).toHaveLength(2);
      expect(top.Layers[0]).toBe(inspect.Layers[0]);
    } finally {
      await registry.stop();
    }
  }, 120_000);
});

describe.runIf(havePeers('buildah', 'skopeo'))('a buildah image as the base', () => {
  it('buildah commit to an OCI layout, then lading export --base oci:DIR:TAG adds a layer on top', async () => {
    const g = [
      '--storage-driver',
      'vfs',
      '--root',
      join(dir.path, 'broot'),
      '--runroot',
      join(dir.path, 'brun'),
    ];
    const ctr = (await run('buildah', [...g, 'from', '--name', 'base', 'scratch'])).stdout.trim();
    await run('buildah', [...g, 'copy', ctr, join(helloRootfs, 'etc'), '/etc']);
    await run('buildah', [...g, 'config', '--env', 'FROM_BASE=1', '--cmd', '["/base"]', ctr]);
    const base = join(dir.path, 'base-layout');
    await run('buildah', [...g, 'commit', '--format', 'oci', ctr, `oci:${base}:b`]);
    const baseInspect = JSON.parse((await run('skopeo', ['inspect', `oci:${base}:b`])).stdout);
    const r = await lading(
      [
        'export',
        join(helloRootfs, 'usr'),
        '--base',
        `oci:${base}:b`,
        '--env',
        'MINE=2',
        '-o',
        'type=oci,tar=false,dest=on-base',
        '--tag',
        'x:1',
      ],
      { cwd: dir.path, env: env() },
    );
    expect(r.stderr).not.toContain('ERROR');
    expect(r.code).toBe(0);
    const inspect = JSON.parse(
      (await run('skopeo', ['inspect', `oci:${join(dir.path, 'on-base')}:1`])).stdout,
    );
    expect(inspect.Layers.slice(0, baseInspect.Layers.length)).toEqual(baseInspect.Layers);
    expect(inspect.Layers).toHaveLength(baseInspect.Layers.length + 1);
    const cfg = JSON.parse(
      (await run('skopeo', ['inspect', '--config', `oci:${join(dir.path, 'on-base')}:1`])).stdout,
    );
    expect(cfg.config.Env).toEqual(expect.arrayContaining(['FROM_BASE=1', 'MINE=2']));
    expect(cfg.config.Cmd).toEqual(['/base']);
    expect(cfg.history.length).toBe(baseInspect.Layers.length + 1);
    await run('umoci', [
      'unpack',
      '--rootless',
      '--image',
      `${join(dir.path, 'on-base')}:1`,
      join(dir.path, 'b2'),
    ]);
    // the added directory is the root of its layer: usr/share lands at /share
    expect((await readdir(join(dir.path, 'b2', 'rootfs'))).sort()).toEqual(['etc', 'share']);
  }, 120_000);
});
