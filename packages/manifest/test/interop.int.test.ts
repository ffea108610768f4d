import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { openLocalStore, writeBlob } from '@lading/content-store';
import { AnnotationRefName, type Descriptor } from '@lading/digest';
import { havePeers, makeTempDir, run, startRegistry } from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIndex } from '../src/build-index.js';
import { convertManifest } from '../src/convert.js';
import { encodeManifest } from '../src/encode.js';
import type { Encoded } from '../src/types.js';

const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const tar = new Uint8Array(1024); // an empty tar: two zero blocks
const layerBytes = gzipSync(tar);
const configBytes = new TextEncoder().encode(
  JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha(tar)] } }),
);
const blob = (mediaType: string, bytes: Uint8Array) =>
  ({ mediaType, digest: sha(bytes), size: bytes.length }) as Descriptor;

const ociManifest = encodeManifest({
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: blob('application/vnd.oci.image.config.v1+json', configBytes),
  layers: [blob('application/vnd.oci.image.layer.v1.tar+gzip', layerBytes)],
  annotations: { 'org.example.test': 'yes' },
});
const { annotations: _dropped, ...plain } = ociManifest.value;
const dockerManifest = convertManifest(encodeManifest(plain), { oci: false });
const ociIndex = buildIndex(
  [{ descriptor: ociManifest.descriptor, platform: { architecture: 'amd64', os: 'linux' } }],
  {
    oci: true,
  },
);
const dockerList = buildIndex(
  [{ descriptor: dockerManifest.descriptor, platform: { architecture: 'amd64', os: 'linux' } }],
  { oci: false },
);
const cases: [string, Encoded<unknown>][] = [
  ['oci-manifest', ociManifest],
  ['docker-manifest', dockerManifest],
  ['oci-index', ociIndex],
  ['docker-list', dockerList],
];
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe.runIf(havePeers('skopeo', 'docker-registry'))(
  'skopeo and the registry accept what we encode',
  () => {
    it('skopeo reads our exact OCI bytes from a layout and copies each image', async () => {
      await using dir = await makeTempDir('lading-manifest-');
      const store = await openLocalStore(`${dir.path}/layout`);
      await writeBlob(store, layerBytes);
      await writeBlob(store, configBytes);
      for (const [, e] of cases) await writeBlob(store, e.bytes);
      await store.updateIndex((index) => ({
        ...index,
        manifests: cases.map(([tag, e]) => ({ ...e.descriptor, annotations: { [AnnotationRefName]: tag } })),
      }));
      // skopeo 1.9 resolves only index.json entries with OCI media types; Docker-typed ones are checked on the registry.
      for (const [tag, e] of cases.filter(([t]) => t.startsWith('oci-'))) {
        const raw = await run('skopeo', ['inspect', '--raw', `oci:${dir.path}/layout:${tag}`]);
        expect(raw.stdout).toBe(text(e.bytes));
        await run('skopeo', [
          'copy',
          '--quiet',
          `oci:${dir.path}/layout:${tag}`,
          `dir:${dir.path}/out-${tag}`,
        ]);
      }
    });

    describe('registry', () => {
      let registry: Awaited<ReturnType<typeof startRegistry>>;
      beforeAll(async () => {
        registry = await startRegistry();
      });
      afterAll(async () => {
        await registry?.stop();
      });

      async function putBlob(bytes: Uint8Array): Promise<void> {
        const post = await fetch(`${registry.url}/v2/test/blobs/uploads/`, { method: 'POST' });
        expect(post.status).toBe(202);
        const location = new URL(post.headers.get('location') ?? '', registry.url);
        location.searchParams.set('digest', sha(bytes));
        const put = await fetch(location, {
          method: 'PUT',
          body: bytes,
          headers: { 'content-type': 'application/octet-stream' },
        });
        expect(put.status).toBe(201);
      }

      it('accepts our manifests and indexes and serves our exact bytes', async () => {
        await putBlob(layerBytes);
        await putBlob(configBytes);
        for (const [tag, e] of cases) {
          const res = await fetch(`${registry.url}/v2/test/manifests/${tag}`, {
            method: 'PUT',
            body: e.bytes,
            headers: { 'content-type': e.descriptor.mediaType },
          });
          expect(res.status, `${tag}: ${await res.text()}`).toBe(201);
          expect(res.headers.get('docker-content-digest')).toBe(sha(e.bytes));
          const raw = await run('skopeo', [
            'inspect',
            '--raw',
            '--tls-verify=false',
            `docker://${registry.host}/test:${tag}`,
          ]);
          expect(raw.stdout).toBe(text(e.bytes));
        }
      });
    });
  },
);
