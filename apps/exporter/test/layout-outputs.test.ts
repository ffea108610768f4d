import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, type TempDir } from '@lading/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { helloRootfs, lading } from './helpers.js';

let dir: TempDir;
beforeEach(async () => {
  dir = await makeTempDir('lading-layout-');
});
afterEach(async () => dir.cleanup());
const env = () => ({ LADING_STORE: join(dir.path, 'store'), SOURCE_DATE_EPOCH: '1700000000' });
const json = (path: string) => JSON.parse(readFileSync(join(dir.path, path), 'utf8'));
const blob = (layout: string, digest: string) => {
  const bytes = readFileSync(join(dir.path, layout, 'blobs', 'sha256', digest.slice(7)));
  expect(`sha256:${createHash('sha256').update(bytes).digest('hex')}`).toBe(digest);
  return JSON.parse(bytes.toString('utf8'));
};
const untar = (file: string, to: string) => {
  mkdirSync(join(dir.path, to));
  execFileSync('tar', ['-xf', file, '-C', to], { cwd: dir.path });
};

describe('image names in layouts, as BuildKit writes them', () => {
  it('a directory layout: the full name and the tag; no name is tagged latest; a re-export replaces its entry', async () => {
    const none = await lading(['export', helloRootfs, '-o', 'type=oci,tar=false,dest=l'], {
      cwd: dir.path,
      env: env(),
    });
    expect(none.code).toBe(0);
    expect(json('l/index.json').manifests.map((m: { annotations: unknown }) => m.annotations)).toEqual([
      {
        'org.opencontainers.image.created': '2023-11-14T22:13:20Z',
        'org.opencontainers.image.ref.name': 'latest',
      },
    ]);
    for (const cmd of ['echo 1', 'echo 2']) {
      const r = await lading(
        ['export', helloRootfs, '--cmd', cmd, '-o', 'type=oci,tar=false,dest=l', '-t', 'hello:1'],
        {
          cwd: dir.path,
          env: env(),
        },
      );
      expect(r.code).toBe(0);
    }
    const named = json('l/index.json').manifests.filter(
      (m: { annotations: Record<string, string> }) => m.annotations['io.containerd.image.name'],
    );
    expect(named).toHaveLength(1);
    expect(named[0].annotations['io.containerd.image.name']).toBe('docker.io/library/hello:1');
    expect(named[0].annotations['org.opencontainers.image.ref.name']).toBe('1');
    expect(blob('l', named[0].digest).mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
  });

  it('a tarball: the same two names on each entry, for type=oci and type=docker', async () => {
    for (const type of ['oci', 'docker']) {
      const r = await lading(
        ['export', helloRootfs, '-o', `type=${type},dest=${type}.tar`, '-t', 'reg.example/a/b:2'],
        {
          cwd: dir.path,
          env: env(),
        },
      );
      expect(r.code).toBe(0);
      untar(`${type}.tar`, type);
      const [entry] = json(`${type}/index.json`).manifests;
      expect(entry.annotations).toEqual({
        'io.containerd.image.name': 'reg.example/a/b:2',
        'org.opencontainers.image.ref.name': '2',
        'org.opencontainers.image.created': '2023-11-14T22:13:20Z',
      });
    }
    expect(json('docker/manifest.json')[0].RepoTags).toEqual(['reg.example/a/b:2']);
  });
});

describe('--annotation and BuildKit annotation keys', () => {
  it('manifest, manifest-descriptor, index and index-descriptor annotations go where BuildKit puts them', async () => {
    const r = await lading(
      [
        'export',
        helloRootfs,
        '--platform',
        'linux/amd64,linux/arm64',
        '-o',
        'type=oci,tar=false,dest=l,annotation-manifest[linux/arm64].only.arm=yes',
        '-t',
        'multi:1',
        '--annotation',
        'org.example.all=everywhere',
        '--annotation',
        'index:org.example.index=on-index',
        '--annotation',
        'manifest-descriptor[linux/amd64]:org.example.md=amd64-desc',
        '--annotation',
        'index-descriptor:org.example.id=root-desc',
      ],
      { cwd: dir.path, env: env() },
    );
    expect(r.stderr).not.toContain('WARNING');
    expect(r.code).toBe(0);
    const [entry] = json('l/index.json').manifests;
    expect(entry.annotations['org.example.id']).toBe('root-desc');
    const index = blob('l', entry.digest);
    expect(index.annotations).toEqual({ 'org.example.index': 'on-index' });
    const byArch = Object.fromEntries(
      index.manifests.map((m: { platform: { architecture: string } }) => [m.platform.architecture, m]),
    );
    expect(byArch.amd64.annotations).toEqual({ 'org.example.md': 'amd64-desc' });
    expect(byArch.arm64.annotations).toBeUndefined();
    expect(blob('l', byArch.amd64.digest).annotations).toEqual({ 'org.example.all': 'everywhere' });
    expect(blob('l', byArch.arm64.digest).annotations).toEqual({
      'org.example.all': 'everywhere',
      'only.arm': 'yes',
    });
  });

  it('refuses what BuildKit refuses', async () => {
    for (const [args, message] of [
      [['--annotation', 'index:k=v'], 'index annotations not supported for single platform export'],
      [['--annotation', 'manifest[linux/s390x]:k=v'], 'no platform linux/s390x found in source'],
      [['--annotation', 'bogus:k=v'], 'unknown annotation type "bogus"'],
      [['--annotation', 'novalue'], 'expected key=value'],
      [['-o', 'type=oci,dest=x,annotation-bogus.k=v'], 'unrecognized annotation type bogus'],
      [
        ['-o', 'type=oci,dest=x,oci-mediatypes=false,annotation-manifest-descriptor.k=v'],
        'oci-mediatypes=false',
      ],
    ] as const) {
      const r = await lading(['export', helloRootfs, '-o', 'type=oci,tar=false,dest=l', ...args], {
        cwd: dir.path,
        env: env(),
      });
      expect(r.stderr).toContain(message);
      expect(r.code).toBe(2);
    }
  });
});
