// type=image / type=registry options (BuildKit's exporter/containerimage/export.go) end to end against a real Distribution registry, read back by skopeo.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { havePeers, makeTempDir, run, startRegistry, type TempDir } from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helloRootfs, lading } from './helpers.js';

let dir: TempDir;
beforeAll(async () => {
  dir = await makeTempDir('lading-exporter-image-options-');
});
afterAll(async () => dir?.cleanup());
const env = () => ({ LADING_STORE: join(dir.path, 'store') });

describe.runIf(havePeers('skopeo', 'docker-registry'))('type=image options against a registry', () => {
  let registry: Awaited<ReturnType<typeof startRegistry>>;
  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(async () => registry?.stop());
  const raw = (ref: string) =>
    run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`], { allowFailure: true });
  const exportTo = (output: string) =>
    lading(['export', helloRootfs, '-o', output, '--json', '--epoch', '0'], { cwd: dir.path, env: env() });
  const digestOf = (r: { stdout: string }) =>
    JSON.parse(r.stdout).outputs[0].response['containerimage.digest'] as string;

  it('Docker media types by default; oci-mediatypes=true gives OCI ones; annotation.KEY lands on the manifest', async () => {
    const docker = `${registry.host}/opts/docker:1`;
    const a = await exportTo(`type=image,name=${docker},push=true,registry.insecure=true`);
    expect(a.code).toBe(0);
    const dm = JSON.parse((await raw(docker)).stdout);
    expect(dm.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(dm.config.mediaType).toBe('application/vnd.docker.container.image.v1+json');
    expect(dm.layers[0].mediaType).toBe('application/vnd.docker.image.rootfs.diff.tar.gzip');

    const oci = `${registry.host}/opts/oci:1`;
    const b = await exportTo(
      `type=registry,name=${oci},registry.insecure=true,oci-mediatypes=true,annotation.org.example.note=hi`,
    );
    expect(b.code).toBe(0);
    const text = (await raw(oci)).stdout;
    const om = JSON.parse(text);
    expect(om.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(om.layers[0].mediaType).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
    expect(om.annotations).toEqual({ 'org.example.note': 'hi' });
    expect(digestOf(b)).toBe(`sha256:${createHash('sha256').update(text).digest('hex')}`);
    // same layer bytes either way: only the media types differ
    expect(om.layers[0].digest).toBe(dm.layers[0].digest);
  }, 60_000);

  it('push-by-digest=true pushes the manifest by digest only: the tag is not created', async () => {
    const name = `${registry.host}/opts/bydigest:1`;
    const r = await exportTo(`type=image,name=${name},push=true,push-by-digest=true,registry.insecure=true`);
    expect(r.code).toBe(0);
    const digest = digestOf(r);
    const byDigest = await raw(`${registry.host}/opts/bydigest@${digest}`);
    expect(byDigest.code).toBe(0);
    expect(`sha256:${createHash('sha256').update(byDigest.stdout).digest('hex')}`).toBe(digest);
    const byTag = await raw(name);
    // skopeo (1.9, the peer here) exits 1 for a tag the registry does not have, as for any failure
    expect(byTag.code).toBe(1);
  }, 60_000);

  it('several names push each; store=false pushes without naming anything in the store', async () => {
    const a = `${registry.host}/opts/multi:a`;
    const b = `${registry.host}/opts/multi:b`;
    const r = await exportTo(`type=image,"name=${a},${b}",push=true,registry.insecure=true,store=false`);
    expect(r.code).toBe(0);
    const digest = digestOf(r);
    for (const n of [a, b]) {
      const got = await raw(n);
      expect(got.code).toBe(0);
      expect(`sha256:${createHash('sha256').update(got.stdout).digest('hex')}`).toBe(digest);
    }
    const ls = await lading(['ls'], { cwd: dir.path, env: env() });
    expect(ls.stdout).not.toContain('opts/multi');
  }, 60_000);
});
