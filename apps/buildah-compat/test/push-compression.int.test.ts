// issue 19 bug 4: commit and push to docker:// send tar+gzip layers as buildah does (containers/image compresses
// uncompressed layers for registries); a base's gzip layer goes as it is, never decompressed; -D keeps every layer
// as stored. Expectations come from skopeo's view of the registry and of an OCI layout.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { havePeers, makeTempDir, run, startRegistry, type TempDir } from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lb } from './helpers.js';

const gzipTypes = [
  'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.docker.image.rootfs.diff.tar.gzip',
];

describe.runIf(havePeers('docker-registry', 'skopeo'))('layer compression on the way to a registry', () => {
  let tmp: TempDir;
  let registry: Awaited<ReturnType<typeof startRegistry>>;
  let root: string;
  let policy: string;
  let baseLayer: { digest: string; mediaType: string };

  const remote = async (ref: string) =>
    JSON.parse(
      (await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`])).stdout,
    ) as {
      layers: { digest: string; mediaType: string }[];
    };

  beforeAll(async () => {
    tmp = await makeTempDir('lading-buildah-push-compression-');
    registry = await startRegistry();
    root = join(tmp.path, 'root');
    policy = join(tmp.path, 'policy.json');
    await writeFile(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
    // a base whose one layer is gzip in local storage
    const ctr = await lb(root, ['from', 'scratch']);
    await writeFile(join(tmp.path, 'base.txt'), 'the base layer\n');
    await lb(root, ['copy', ctr, join(tmp.path, 'base.txt'), '/base.txt']);
    await lb(root, ['commit', '-q', '--disable-compression=false', ctr, 'base-gz']);
    const layout = join(tmp.path, 'base-layout');
    await lb(root, ['push', '-q', '-D', '--signature-policy', policy, 'base-gz', `oci:${layout}:b`]);
    const manifest = JSON.parse((await run('skopeo', ['inspect', '--raw', `oci:${layout}:b`])).stdout);
    baseLayer = manifest.layers[0];
    expect(gzipTypes).toContain(baseLayer.mediaType);
  }, 120_000);
  afterAll(async () => {
    await registry?.stop();
    await tmp?.cleanup();
  });

  const commitOnBase = async (args: string[], dest: string) => {
    const ctr = await lb(root, ['from', 'localhost/base-gz']);
    await writeFile(join(tmp.path, 'new.txt'), `a new layer for ${dest}\n`);
    await lb(root, ['copy', ctr, join(tmp.path, 'new.txt'), '/new.txt']);
    await lb(root, ['commit', '-q', '--tls-verify=false', '--signature-policy', policy, ...args, ctr, dest]);
  };

  it('commit CTR docker://: the new layer gzipped, the base gzip layer sent as it is', async () => {
    const ref = `${registry.host}/lading/committed:1`;
    await commitOnBase([], `docker://${ref}`);
    const { layers } = await remote(ref);
    expect(layers).toHaveLength(2);
    for (const l of layers) expect(gzipTypes).toContain(l.mediaType);
    expect(layers[0]?.digest).toBe(baseLayer.digest);
  });

  it('push IMAGE docker://: uncompressed layers gzipped, the gzip one unchanged; -D keeps them as stored', async () => {
    const ctr = await lb(root, ['from', 'localhost/base-gz']);
    await writeFile(join(tmp.path, 'plain.txt'), 'an uncompressed layer\n');
    await lb(root, ['copy', ctr, join(tmp.path, 'plain.txt'), '/plain.txt']);
    await lb(root, ['commit', '-q', ctr, 'plain']);
    const ref = `${registry.host}/lading/pushed:1`;
    await lb(root, [
      'push',
      '-q',
      '--tls-verify=false',
      '--signature-policy',
      policy,
      'plain',
      `docker://${ref}`,
    ]);
    const pushed = await remote(ref);
    for (const l of pushed.layers) expect(gzipTypes).toContain(l.mediaType);
    expect(pushed.layers[0]?.digest).toBe(baseLayer.digest);

    const kept = `${registry.host}/lading/kept:1`;
    await lb(root, [
      'push',
      '-q',
      '-D',
      '--tls-verify=false',
      '--signature-policy',
      policy,
      'plain',
      `docker://${kept}`,
    ]);
    const asStored = await remote(kept);
    expect(asStored.layers[0]?.digest).toBe(baseLayer.digest);
    expect(asStored.layers[1]?.mediaType).toMatch(/tar$/);
  });
});
