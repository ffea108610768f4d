import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { openLocalStore, writeBlob } from '@lading/content-store';
import { MediaType } from '@lading/digest';
import { havePeers, makeTempDir, run } from '@lading/testkit';
import { describe, expect, it } from 'vitest';
import { ImageStore } from '../src/index.js';

const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

describe.runIf(havePeers('skopeo'))('images named through the image store', () => {
  it('are found by skopeo under their name', async () => {
    await using dir = await makeTempDir('lading-names-');
    const store = await openLocalStore(dir.path);
    const tar = new Uint8Array(1024); // an empty tar: two zero blocks
    const layer = await writeBlob(store, gzipSync(tar), { mediaType: MediaType.ociLayerGzip });
    const config = await writeBlob(
      store,
      json({
        architecture: 'amd64',
        os: 'linux',
        config: {},
        rootfs: { type: 'layers', diff_ids: [sha(tar)] },
      }),
      { mediaType: MediaType.ociConfig },
    );
    const manifest = await writeBlob(
      store,
      json({ schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers: [layer] }),
      { mediaType: MediaType.ociManifest },
    );
    const images = new ImageStore(store);
    await images.create({ name: 'docker.io/library/app:1', target: manifest });
    await images.create({ name: 'v1', target: manifest });

    for (const name of ['docker.io/library/app:1', 'v1']) {
      const out = JSON.parse((await run('skopeo', ['inspect', `oci:${dir.path}:${name}`])).stdout);
      expect(out.Digest).toBe(manifest.digest);
      expect(out.Layers).toEqual([layer.digest]);
    }
    const missing = await run('skopeo', ['inspect', `oci:${dir.path}:nope`], { allowFailure: true });
    // skopeo (1.9, the peer here) exits 1 for a reference the layout does not hold, as for any failure.
    expect(missing.code).toBe(1);
  });
});
