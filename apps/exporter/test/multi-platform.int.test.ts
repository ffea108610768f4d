// Several platforms in one export: one image each and an index over them, read back by skopeo and umoci.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { havePeers, makeTempDir, run, startRegistry, type TempDir } from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helloRootfs, lading } from './helpers.js';

let dir: TempDir;
beforeAll(async () => {
  dir = await makeTempDir('lading-exporter-multi-');
  for (const arch of ['amd64', 'arm64']) {
    await mkdir(join(dir.path, arch), { recursive: true });
    await writeFile(join(dir.path, arch, 'which'), `${arch}\n`);
  }
});
afterAll(async () => dir?.cleanup());
const env = () => ({ LADING_STORE: join(dir.path, 'store'), LADING_MOBY_ROOT: join(dir.path, 'moby') });

const twoPlatforms = [
  '--platform',
  'linux/amd64,linux/arm64',
  '--platform-layer',
  'linux/amd64=amd64',
  '--platform-layer',
  'linux/arm64=arm64',
];

interface Index {
  mediaType: string;
  manifests: { mediaType: string; digest: string; platform: { os: string; architecture: string } }[];
}

describe.runIf(havePeers('skopeo', 'umoci'))('--platform with several platforms', () => {
  /** Picks one platform with skopeo, then unpacks it with umoci: the rootfs that platform's users get. */
  async function unpackArch(layout: string, arch: string): Promise<string> {
    const single = join(dir.path, `${layout}-${arch}`);
    await run('skopeo', [
      'copy',
      '--override-arch',
      arch,
      `oci:${join(dir.path, layout)}:1`,
      `oci:${single}:1`,
    ]);
    const bundle = join(dir.path, `${layout}-${arch}-bundle`);
    await run('umoci', ['unpack', '--rootless', '--image', `${single}:1`, bundle]);
    return join(bundle, 'rootfs');
  }

  it('type=oci,tar=false writes an OCI index; each platform gets the common layer and its own', async () => {
    const r = await lading(
      [
        'export',
        join(helloRootfs, 'etc'),
        ...twoPlatforms,
        '-o',
        'type=oci,tar=false,dest=multi',
        '-t',
        'm:1',
      ],
      { cwd: dir.path, env: env() },
    );
    expect(r.stderr).not.toContain('ERROR');
    expect(r.code).toBe(0);
    const index: Index = JSON.parse(
      (await run('skopeo', ['inspect', '--raw', `oci:${join(dir.path, 'multi')}:1`])).stdout,
    );
    expect(index.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(index.manifests.map((m) => `${m.platform.os}/${m.platform.architecture}`)).toEqual([
      'linux/amd64',
      'linux/arm64',
    ]);
    for (const arch of ['amd64', 'arm64']) {
      const cfg = JSON.parse(
        (
          await run('skopeo', [
            'inspect',
            '--override-arch',
            arch,
            '--config',
            `oci:${join(dir.path, 'multi')}:1`,
          ])
        ).stdout,
      );
      expect(cfg.architecture).toBe(arch);
      expect(cfg.rootfs.diff_ids).toHaveLength(2);
      const rootfs = await unpackArch('multi', arch);
      expect(await readFile(join(rootfs, 'which'), 'utf8')).toBe(`${arch}\n`);
      expect(await readFile(join(rootfs, 'os-release'), 'utf8')).toBe(
        await readFile(join(helloRootfs, 'etc', 'os-release'), 'utf8'),
      );
    }
  }, 120_000);

  it('--base with an index resolves the base per platform', async () => {
    const r = await lading(
      [
        'export',
        join(helloRootfs, 'usr'),
        '--base',
        `oci:${join(dir.path, 'multi')}:1`,
        '--platform',
        'linux/amd64,linux/arm64',
        '-o',
        'type=oci,tar=false,dest=on-multi',
        '-t',
        'o:1',
      ],
      { cwd: dir.path, env: env() },
    );
    expect(r.code).toBe(0);
    for (const arch of ['amd64', 'arm64']) {
      const rootfs = await unpackArch('on-multi', arch);
      expect(await readFile(join(rootfs, 'which'), 'utf8')).toBe(`${arch}\n`);
    }
  }, 120_000);

  it.runIf(havePeers('docker-registry'))(
    'type=registry pushes a Docker manifest list (oci-mediatypes=false), each platform with its config',
    async () => {
      const registry = await startRegistry();
      try {
        const name = `${registry.host}/multi/app:1`;
        const r = await lading(
          [
            'export',
            join(helloRootfs, 'etc'),
            ...twoPlatforms,
            '-o',
            `type=registry,name=${name},registry.insecure=true`,
            '--json',
          ],
          { cwd: dir.path, env: env() },
        );
        expect(r.code).toBe(0);
        const response = JSON.parse(r.stdout).outputs[0].response;
        // as BuildKit: no single config digest for an index
        expect(response['containerimage.config.digest']).toBeUndefined();
        const list: Index = JSON.parse(
          (await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${name}`])).stdout,
        );
        expect(list.mediaType).toBe('application/vnd.docker.distribution.manifest.list.v2+json');
        expect(list.manifests.every((m) => m.mediaType.includes('docker'))).toBe(true);
        const cfg = JSON.parse(
          (
            await run('skopeo', [
              'inspect',
              '--tls-verify=false',
              '--override-arch',
              'arm64',
              '--config',
              `docker://${name}`,
            ])
          ).stdout,
        );
        expect(cfg.architecture).toBe('arm64');
      } finally {
        await registry.stop();
      }
    },
    120_000,
  );
});

describe('several platforms: what cannot take them', () => {
  const cases: [string, string[], number, string][] = [
    ['type=docker', ['-o', 'type=docker,dest=d.tar'], 2, 'type=docker holds one image'],
    [
      'type=moby (moby exporter)',
      ['-o', 'type=moby,name=x'],
      3,
      'exporting multiple references to image store is currently unsupported',
    ],
    ['type=image,unpack=true', ['-o', 'type=image,name=u,unpack=true'], 2, 'unpack makes one rootfs'],
    [
      '--cache-to',
      ['-o', 'type=oci,dest=c.tar', '--cache-to', 'type=local,dest=c'],
      2,
      'one platform at a time',
    ],
  ];
  it.each(cases)('%s', async (_label, args, code, message) => {
    const r = await lading(['export', join(helloRootfs, 'etc'), ...twoPlatforms, ...args], {
      cwd: dir.path,
      env: env(),
    });
    expect(r.stderr).toContain(message);
    expect(r.code).toBe(code);
  });

  it('--platform-layer must name a listed platform and a directory', async () => {
    const unlisted = await lading(
      ['export', helloRootfs, '--platform', 'linux/amd64', '--platform-layer', 'linux/s390x=amd64'],
      { cwd: dir.path, env: env() },
    );
    expect(unlisted.code).toBe(2);
    expect(unlisted.stderr).toContain('linux/s390x is not in --platform (linux/amd64)');
    const bad = await lading(['export', helloRootfs, '--platform-layer', 'amd64'], {
      cwd: dir.path,
      env: env(),
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('expected OS/ARCH=DIR');
  });
});
