import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryStore, readBlob, writeBlob } from '@lading/content-store';
import { type Descriptor, parseDigest } from '@lading/digest';
import { havePeers, run, startRegistry } from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RemoteReference, readImage, writeImage } from '../src/transports/index.js';
import {
  enc,
  image,
  index,
  opts,
  policyPath,
  skopeo,
  source,
  store,
  tmp,
  useTransportFixture,
} from './transports-fixture.js';

useTransportFixture();

describe('nothing half-written on error', () => {
  it('a missing source blob leaves oci-archive:, dir: and a new oci: target absent', async () => {
    const partial = createMemoryStore();
    await writeBlob(partial, image.manifestBytes);
    await writeBlob(partial, await readBlob(store, image.config));
    // the layer is missing from `partial`
    const src = { store: partial, manifest: image.manifest };
    const file = join(tmp.path, 'half.oci.tar');
    await expect(writeImage({ transport: 'oci-archive', file }, src, opts())).rejects.toMatchObject({
      kind: 'not-found',
      code: 'BLOB_NOT_FOUND',
    });
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
    const dir = join(tmp.path, 'half-dir');
    await expect(writeImage({ transport: 'dir', dir }, src, opts())).rejects.toMatchObject({
      kind: 'not-found',
      code: 'BLOB_NOT_FOUND',
    });
    await expect(stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
    const layout = join(tmp.path, 'half-oci');
    await expect(writeImage({ transport: 'oci', dir: layout, ref: 'x' }, src, opts())).rejects.toMatchObject({
      kind: 'not-found',
      code: 'BLOB_NOT_FOUND',
    });
    await expect(stat(layout)).rejects.toMatchObject({ code: 'ENOENT' });
    const da = join(tmp.path, 'half.docker.tar');
    await expect(writeImage({ transport: 'docker-archive', file: da }, src, opts())).rejects.toMatchObject({
      kind: 'not-found',
      code: 'BLOB_NOT_FOUND',
    });
    await expect(stat(da)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await readdir(tmp.path)).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('a policy that rejects the source stops the write before anything is written', async () => {
    const rejecting = join(tmp.path, 'reject.json');
    await writeFile(rejecting, JSON.stringify({ default: [{ type: 'reject' }] }));
    const file = join(tmp.path, 'rejected.tar');
    await expect(
      writeImage(
        { transport: 'oci-archive', file },
        { ...source(), reference: { transport: 'containers-storage', name: 'app:1' } },
        {
          policyPath: rejecting,
        },
      ),
    ).rejects.toThrow('Source image rejected: Running image containers-storage:app:1 is rejected by policy.');
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe.runIf(havePeers('skopeo', 'docker-registry'))('docker:// on a real registry', () => {
  it('push with --tls-verify=false, skopeo reads the same bytes, and it reads back', async () => {
    const registry = await startRegistry();
    try {
      const ref = `docker://${registry.host}/lading/transports:1`;
      const { parseImageReference } = await import('../src/transports/index.js');
      const dest = parseImageReference(ref) as RemoteReference;
      await writeImage(dest, source(), { ...opts(), tlsVerify: false, retry: 1 });
      expect(await skopeo('inspect', '--tls-verify=false', '--raw', ref)).toBe(
        new TextDecoder().decode(image.manifestBytes),
      );
      await writeImage(
        parseImageReference(`docker://${registry.host}/lading/transports:list`) as RemoteReference,
        source(index.desc),
        {
          ...opts(),
          tlsVerify: false,
          all: true,
        },
      );
      expect(
        await skopeo(
          'inspect',
          '--tls-verify=false',
          '--raw',
          `docker://${registry.host}/lading/transports:list`,
        ),
      ).toBe(new TextDecoder().decode(index.bytes));
      await writeImage(
        parseImageReference(`docker://${registry.host}/lading/transports:v2s2`) as RemoteReference,
        source(),
        {
          ...opts(),
          tlsVerify: false,
          format: 'v2s2',
        },
      );
      const raw = JSON.parse(
        await skopeo(
          'inspect',
          '--tls-verify=false',
          '--raw',
          `docker://${registry.host}/lading/transports:v2s2`,
        ),
      ) as {
        mediaType: string;
      };
      expect(raw.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
      const into = createMemoryStore();
      const { manifest } = await readImage(dest, into, { ...opts(), tlsVerify: false });
      expect(await readBlob(into, manifest)).toEqual(image.manifestBytes);
      expect(parseDigest(manifest.digest)).toBe(image.manifest.digest);
    } finally {
      await registry.stop();
    }
  });
});

describe.runIf(havePeers('buildah', 'skopeo', 'tar'))(
  'buildah reads what lading writes, and the other way round',
  () => {
    // buildah names a pulled layout after its path, and image names must be lowercase: a lowercase work dir
    let low: string;
    beforeAll(async () => {
      low = join(tmpdir(), `lading-buildah-interop-${randomBytes(6).toString('hex')}`);
      await mkdir(low);
    });
    afterAll(async () => {
      if (low) await rm(low, { recursive: true, force: true });
    });
    const buildah = async (...args: string[]) =>
      (
        await run('buildah', [
          '--root',
          join(low, 'buildah-root'),
          '--runroot',
          join(low, 'buildah-run'),
          '--storage-driver',
          'vfs',
          ...args,
        ])
      ).stdout.trim();

    it('buildah pulls our oci:, oci-archive:, dir: and docker-archive: images (image ID = our config digest)', async () => {
      const targets: [RemoteReference, string][] = [
        [{ transport: 'oci', dir: join(low, 'b-oci'), ref: 'b' }, `oci:${join(low, 'b-oci')}:b`],
        [{ transport: 'oci-archive', file: join(low, 'b.oci.tar') }, `oci-archive:${join(low, 'b.oci.tar')}`],
        [{ transport: 'dir', dir: join(low, 'b-dir') }, `dir:${join(low, 'b-dir')}`],
        [
          { transport: 'docker-archive', file: join(low, 'b.docker.tar'), ref: 'docker.io/example/b:1' },
          `docker-archive:${join(low, 'b.docker.tar')}`,
        ],
      ];
      for (const [ref, name] of targets) {
        await writeImage(ref, source(), opts());
        const id = await buildah('pull', '-q', '--signature-policy', policyPath, name);
        expect(id, name).toBe(image.config.digest.slice(7));
      }
    });

    it('we read what buildah push wrote to oci-archive:, dir: and docker-archive:', async () => {
      await writeImage({ transport: 'oci', dir: join(low, 'b-src'), ref: 'src' }, source(), opts());
      await buildah('pull', '-q', '--signature-policy', policyPath, `oci:${join(low, 'b-src')}:src`);
      const targets: [string, RemoteReference][] = [
        [
          `oci-archive:${join(low, 'bp.oci.tar')}:p`,
          { transport: 'oci-archive', file: join(low, 'bp.oci.tar'), ref: 'p' },
        ],
        [`dir:${join(low, 'bp-dir')}`, { transport: 'dir', dir: join(low, 'bp-dir') }],
        [
          `docker-archive:${join(low, 'bp.docker.tar')}:example/bp:1`,
          { transport: 'docker-archive', file: join(low, 'bp.docker.tar') },
        ],
      ];
      for (const [dest, ref] of targets) {
        await buildah('push', '-q', '--signature-policy', policyPath, image.config.digest.slice(7), dest);
        const into = createMemoryStore();
        const { manifest } = await readImage(ref, into, opts());
        const m = JSON.parse(new TextDecoder().decode(await readBlob(into, manifest))) as {
          config: Descriptor;
          layers: Descriptor[];
        };
        const config = JSON.parse(new TextDecoder().decode(await readBlob(into, m.config))) as {
          rootfs: { diff_ids: string[] };
        };
        expect(config.rootfs.diff_ids, dest).toEqual([image.diffId]);
        if (ref.transport !== 'docker-archive') {
          expect(await readBlob(into, manifest)).toEqual(enc.encode(await skopeo('inspect', '--raw', dest)));
        }
      }
    });
  },
);
