import { join } from 'node:path';
import { havePeers, makeTempDir, run, type TempDir } from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helloRootfs, lading } from './helpers.js';

// issue 19 item 10: `lading inspect --format` reads the fields of buildah images and skopeo inspect, and prints
// what those tools print for the same image.
let dir: TempDir;
let layout: string;
let multi: string;
beforeAll(async () => {
  dir = await makeTempDir('lading-inspect-format-');
  layout = join(dir.path, 'layout');
  multi = join(dir.path, 'multi');
  for (const args of [
    [
      '-o',
      `type=oci,tar=false,dest=${layout}`,
      '--tag',
      'hello:1',
      '--label',
      'org.example.v=1.2',
      '-e',
      'A=1',
    ],
    ['-o', `type=oci,tar=false,dest=${multi}`, '--tag', 'multi:2', '--platform', 'linux/amd64,linux/arm64'],
    ['-o', 'type=image,name=stored:3'],
  ]) {
    const r = await lading(['export', helloRootfs, ...args, '--progress', 'quiet'], { env: env() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  }
});
afterAll(async () => dir?.cleanup());
const env = () => ({ LADING_STORE: join(dir.path, 'store') });
const inspectFormat = async (image: string, format: string) => {
  const r = await lading(['inspect', image, '--format', format], { env: env() });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
};

describe.runIf(havePeers('skopeo'))('lading inspect --format against skopeo inspect', () => {
  // skopeo's templates have no json function: lists and maps print as Go's fmt prints them
  const fields = '{{.Digest}} {{.Architecture}} {{.Os}} {{.Layers}} {{.Labels}} {{.Env}}';
  it('a single-platform layout: the same digest, platform, layers, labels and env', async () => {
    const skopeo = (await run('skopeo', ['inspect', '--format', fields, `oci:${layout}:1`])).stdout;
    expect(await inspectFormat(`oci:${layout}:1`, fields)).toBe(skopeo);
    expect(skopeo).toContain('map[org.example.v:1.2]');
  });

  it('a multi-platform layout: .Digest is the index, as skopeo prints it; .FromImageDigest the platform manifest', async () => {
    const format = '{{.Digest}} {{.Architecture}} {{.Layers}}';
    const skopeo = (
      await run('skopeo', ['inspect', '--override-arch', 'arm64', '--format', format, `oci:${multi}:2`])
    ).stdout;
    const mine = await inspectFormat(`oci:${multi}:2`, format);
    expect(
      (
        await lading(['inspect', `oci:${multi}:2`, '--platform', 'linux/arm64', '--format', format], {
          env: env(),
        })
      ).stdout,
    ).toBe(skopeo);
    const raw = JSON.parse((await run('skopeo', ['inspect', '--raw', `oci:${multi}:2`])).stdout);
    const amd64 = raw.manifests.find(
      (m: { platform: { architecture: string } }) => m.platform.architecture === 'amd64',
    );
    expect(mine.split(' ')[0]).toBe(skopeo.split(' ')[0]);
    expect(await inspectFormat(`oci:${multi}:2`, '{{.FromImageDigest}}')).toBe(`${amd64.digest}\n`);
  });
});

describe.runIf(havePeers('buildah', 'skopeo'))(
  'lading inspect --format against buildah images and buildah inspect',
  () => {
    it('.ID, .Digest, .Created and buildah inspect fields print as buildah prints them for the same image', async () => {
      const g = [
        '--storage-driver',
        'vfs',
        '--root',
        join(dir.path, 'broot'),
        '--runroot',
        join(dir.path, 'brun'),
      ];
      // skopeo names the copy (buildah pull would name it after the layout's path)
      const storage = `containers-storage:[vfs@${join(dir.path, 'broot')}+${join(dir.path, 'brun')}]`;
      await run('skopeo', ['copy', '-q', `oci:${layout}:1`, `${storage}localhost/hello:1`]);
      // '|', not spaces: buildah images pads space-separated fields into columns
      const images = '{{.ID}}|{{.Digest}}|{{.Created}}';
      const buildah = (await run('buildah', [...g, 'images', '--no-trunc', '--format', images])).stdout;
      expect(await inspectFormat(`oci:${layout}:1`, images)).toBe(buildah);
      const id = buildah.split('|')[0] as string;
      const fromBuildah = (
        await run('buildah', [
          ...g,
          'inspect',
          '--type',
          'image',
          '--format',
          '{{.FromImageID}} {{.FromImageDigest}}',
          id,
        ])
      ).stdout;
      expect(
        `${await inspectFormat(`oci:${layout}:1`, '{{.FromImageID}} {{.FromImageDigest}}')}`.trim(),
      ).toBe(fromBuildah.trim());
    });
  },
);

describe('lading inspect --format: names and sizes', () => {
  it('.Name, .Repository and .Tag of a store name; a layout has no repository or tag', async () => {
    expect(await inspectFormat('stored:3', '{{.Name}} {{.Repository}} {{.Tag}}')).toBe('stored:3 stored 3\n');
    expect(await inspectFormat(`oci:${layout}:1`, '{{.Repository}} {{.Tag}}')).toBe('<none> <none>\n');
  });

  it('.Size counts the manifest, config and layers the image is made of, as lading ls does', async () => {
    const ls = (await lading(['ls', '--format', '{{.Name}} {{.Size}}'], { env: env() })).stdout;
    expect(ls).toMatch(/^stored:3 \d/);
    expect(await inspectFormat('stored:3', '{{.Name}} {{.Size}}')).toBe(ls);
  });

  it('a misspelt field is a usage error naming the closest one', async () => {
    const r = await lading(['inspect', 'stored:3', '--format', '{{.Digets}}'], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("can't evaluate field Digets (did you mean .Digest?)");
  });
});
