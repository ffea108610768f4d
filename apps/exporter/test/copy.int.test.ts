import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { havePeers, makeTempDir, run, startRegistry, type TempDir } from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helloRootfs, lading } from './helpers.js';

let dir: TempDir;
beforeAll(async () => {
  dir = await makeTempDir('lading-exporter-copy-');
});
afterAll(async () => dir?.cleanup());
const env = () => ({ LADING_STORE: join(dir.path, 'store') });

interface Raw {
  mediaType: string;
  config: { mediaType: string; digest: string; size: number };
  layers: { mediaType: string; digest: string; size: number }[];
}

const sha256 = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;

describe.runIf(havePeers('umoci', 'skopeo', 'docker-registry'))('lading copy and media types', () => {
  let registry: Awaited<ReturnType<typeof startRegistry>>;
  let source: string;
  let sourceRaw: string;
  let sourceManifest: Raw;
  const raw = async (ref: string) =>
    (await run('skopeo', ['inspect', '--raw', '--tls-verify=false', ref])).stdout;

  beforeAll(async () => {
    registry = await startRegistry();
    // A Docker schema2 image written by skopeo (from an OCI layout made by umoci).
    const base = join(dir.path, 'umoci');
    await run('umoci', ['init', '--layout', base]);
    await run('umoci', ['new', '--image', `${base}:b`]);
    await run('umoci', ['insert', '--image', `${base}:b`, join(helloRootfs, 'etc'), '/etc']);
    source = `${registry.host}/lading/docker-typed:1`;
    await run('skopeo', [
      'copy',
      '--quiet',
      '--format',
      'v2s2',
      '--dest-tls-verify=false',
      `oci:${base}:b`,
      `docker://${source}`,
    ]);
    sourceRaw = await raw(`docker://${source}`);
    sourceManifest = JSON.parse(sourceRaw);
    expect(sourceManifest.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
  }, 60_000);
  afterAll(async () => registry?.stop());

  it('into oci: converts Docker schema2 media types to OCI; config and layers keep their bytes', async () => {
    const layout = join(dir.path, 'as-oci');
    const r = await lading(['copy', `docker://${source}`, `oci:${layout}:1`, '--insecure'], {
      cwd: dir.path,
      env: env(),
    });
    expect(r.stderr).not.toContain('Error');
    expect(r.code).toBe(0);
    const text = await raw(`oci:${layout}:1`);
    const m: Raw = JSON.parse(text);
    expect(m.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(m.config).toEqual({
      ...sourceManifest.config,
      mediaType: 'application/vnd.oci.image.config.v1+json',
    });
    expect(m.layers).toEqual(
      sourceManifest.layers.map((l) => ({ ...l, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' })),
    );
    // the digest printed is the digest of the bytes skopeo reads back
    expect(r.stdout.trim()).toBe(sha256(text));
    // umoci only reads OCI images: it unpacks the converted one
    await run('umoci', ['unpack', '--rootless', '--image', `${layout}:1`, join(dir.path, 'bundle')]);
    expect(await readdir(join(dir.path, 'bundle', 'rootfs'))).toEqual(['etc']);
  }, 60_000);

  it('into docker:// keeps the manifest bytes as they are', async () => {
    const dest = `${registry.host}/lading/kept:1`;
    const r = await lading(['copy', `docker://${source}`, `docker://${dest}`, '--insecure'], {
      cwd: dir.path,
      env: env(),
    });
    expect(r.code).toBe(0);
    expect(await raw(`docker://${dest}`)).toBe(sourceRaw);
    expect(r.stdout.trim()).toBe(sha256(sourceRaw));
  }, 60_000);

  it('--format oci into docker:// converts; --format docker into oci: keeps Docker types', async () => {
    const dest = `${registry.host}/lading/converted:1`;
    const r = await lading(
      ['copy', `docker://${source}`, `docker://${dest}`, '--insecure', '--format', 'oci'],
      { cwd: dir.path, env: env() },
    );
    expect(r.code).toBe(0);
    const pushed: Raw = JSON.parse(await raw(`docker://${dest}`));
    expect(pushed.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(pushed.layers.map((l) => l.digest)).toEqual(sourceManifest.layers.map((l) => l.digest));

    const layout = join(dir.path, 'as-docker');
    const back = await lading(
      ['copy', `docker://${dest}`, `oci:${layout}:1`, '--insecure', '--format', 'docker'],
      { cwd: dir.path, env: env() },
    );
    expect(back.code).toBe(0);
    // skopeo's oci: transport only lists OCI-typed entries, so read the layout's files directly
    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8'));
    const entry = index.manifests.find(
      (e: { annotations?: Record<string, string> }) =>
        e.annotations?.['org.opencontainers.image.ref.name'] === '1',
    );
    expect(entry.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    const text = await readFile(
      join(layout, 'blobs', 'sha256', entry.digest.slice('sha256:'.length)),
      'utf8',
    );
    expect(sha256(text)).toBe(entry.digest);
    const m: Raw = JSON.parse(text);
    expect(m.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(m.config.digest).toBe(sourceManifest.config.digest);
    expect(m.layers[0]?.mediaType).toBe('application/vnd.docker.image.rootfs.diff.tar.gzip');
  }, 60_000);

  it('--format anything else is a usage error (exit 2) and copies nothing', async () => {
    const layout = join(dir.path, 'never');
    const r = await lading(['copy', `docker://${source}`, `oci:${layout}:1`, '--format', 'v2s2'], {
      cwd: dir.path,
      env: env(),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--format v2s2: use oci, docker or keep');
    await expect(readdir(layout)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
