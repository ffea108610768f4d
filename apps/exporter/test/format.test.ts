import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, type TempDir } from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helloRootfs, lading } from './helpers.js';

let dir: TempDir;
const env = () => ({ LADING_STORE: join(dir.path, 'store') });
const sha = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;
const blobPath = (digest: string) => join(dir.path, 'store', 'blobs', 'sha256', digest.slice(7));
const readBlobJson = (digest: string) => JSON.parse(readFileSync(blobPath(digest), 'utf8'));
/** What the store's index.json says a name points to (read here, not through lading). */
const target = (name: string) =>
  JSON.parse(readFileSync(join(dir.path, 'store', 'index.json'), 'utf8')).manifests.find(
    (m: { annotations?: Record<string, string> }) => m.annotations?.['io.containerd.image.name'] === name,
  );

beforeAll(async () => {
  dir = await makeTempDir('lading-format-');
  for (const args of [
    ['-o', 'type=image,name=hello:1', '--label', 'org.example.v=1.2'],
    ['--platform', 'linux/amd64,linux/arm64', '-o', 'type=image,name=multi:2'],
  ]) {
    const r = await lading(['export', helloRootfs, ...args], { cwd: dir.path, env: env() });
    expect(r.code).toBe(0);
  }
});
afterAll(async () => dir.cleanup());

describe('lading ls', () => {
  it('prints a header and one aligned row per name; --noheading drops the header', async () => {
    const r = await lading(['ls'], { env: env() });
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+IMAGE ID\s+DIGEST\s+CREATED\s+SIZE$/);
    expect(lines).toHaveLength(3);
    const hello = lines.find((l) => l.startsWith('hello:1')) as string;
    const manifest = readBlobJson(target('hello:1').digest);
    expect(hello.split(/\s{2,}/).slice(0, 3)).toEqual([
      'hello:1',
      manifest.config.digest.slice(7, 19),
      target('hello:1').digest,
    ]);
    expect(lines[1]?.indexOf('sha256:')).toBe(lines[2]?.indexOf('sha256:'));
    const bare = await lading(['ls', '--noheading'], { env: env() });
    expect(bare.stdout.split('\n')[0]).toMatch(/^(hello:1|multi:2)\s/);
  });

  it('--json: one object per name with the image ID, the platforms and the bytes it holds', async () => {
    const rows = JSON.parse((await lading(['ls', '--json'], { env: env() })).stdout);
    const hello = rows.find((r: { name: string }) => r.name === 'hello:1');
    const manifest = readBlobJson(target('hello:1').digest);
    expect(hello).toMatchObject({
      name: 'hello:1',
      repository: 'hello',
      tag: '1',
      digest: target('hello:1').digest,
      id: manifest.config.digest,
    });
    const onDisk = [
      target('hello:1').digest,
      manifest.config.digest,
      ...manifest.layers.map((l: { digest: string }) => l.digest),
    ]
      .map((d) => statSync(blobPath(d)).size)
      .reduce((a, b) => a + b, 0);
    expect(hello.contentSize).toBe(onDisk);
    expect(rows.find((r: { name: string }) => r.name === 'multi:2').platforms).toEqual([
      'linux/amd64',
      'linux/arm64',
    ]);
  });

  it('--format takes buildah images fields; table adds the header; a typo is a usage error with a suggestion', async () => {
    const r = await lading(['ls', '--format', '{{.Repository}}:{{.Tag}} {{json .Platforms}}'], {
      env: env(),
    });
    expect(r.stdout.split('\n').sort()).toEqual(
      ['', 'hello:1 ["linux/amd64"]', 'multi:2 ["linux/amd64","linux/arm64"]'].sort(),
    );
    const t = await lading(['ls', '--format', 'table {{.Name}}\\t{{.Size}}'], { env: env() });
    expect(t.stdout.split('\n')[0]).toMatch(/^NAME\s+SIZE$/);
    expect(t.stdout).toMatch(/hello:1\s+\d+(\.\d+)? kB/);
    const bad = await lading(['ls', '--format', '{{.Nmae}}'], { env: env() });
    expect(bad.stderr).toContain("can't evaluate field Nmae (did you mean .Name?)");
    expect(bad.code).toBe(2);
  });
});

describe('lading inspect --raw and --format', () => {
  it('--raw prints the exact bytes the name points to; with --platform, that platform manifest', async () => {
    const hello = await lading(['inspect', 'hello:1', '--raw'], { env: env() });
    expect(sha(hello.stdout)).toBe(target('hello:1').digest);
    const multi = await lading(['inspect', 'multi:2', '--raw'], { env: env() });
    expect(sha(multi.stdout)).toBe(target('multi:2').digest);
    const arm = readBlobJson(target('multi:2').digest).manifests.find(
      (m: { platform: { architecture: string } }) => m.platform.architecture === 'arm64',
    );
    const one = await lading(['inspect', 'multi:2', '--raw', '--platform', 'linux/arm64'], { env: env() });
    expect(sha(one.stdout)).toBe(arm.digest);
  });

  it('--format reads buildah inspect fields and lading own', async () => {
    const manifest = readBlobJson(target('hello:1').digest);
    const r = await lading(
      [
        'inspect',
        'hello:1',
        '--format',
        '{{.FromImageID}} {{.FromImageDigest}} {{index .OCIv1.config.Labels "org.example.v"}} {{json .config.rootfs.diff_ids}}',
      ],
      { env: env() },
    );
    expect(r.code).toBe(0);
    const config = readBlobJson(manifest.config.digest);
    expect(r.stdout).toBe(
      `${manifest.config.digest.slice(7)} ${target('hello:1').digest} 1.2 ${JSON.stringify(config.rootfs.diff_ids)}\n`,
    );
    const both = await lading(['inspect', 'hello:1', '--raw', '--config'], { env: env() });
    expect(both.code).toBe(2);
  });
});
