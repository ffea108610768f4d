import { gzipSync } from 'node:zlib';
import { createMemoryStore, readBlob, writeBlob } from '@lading/content-store';
import { type Descriptor, isForeignLayer, MediaType } from '@lading/digest';
import { decodeManifest, encodeManifest } from '@lading/manifest';
import { describe, expect, it } from 'vitest';
import { prepareImage } from '../src/index.js';

// push's isForeign and prepare's disagreed on an ordinary layer that lists URLs (prepare kept it as foreign, push
// pushed it). Now one rule: only a non-distributable layer with URLs is foreign (distribution accepts nothing
// else missing from a repository), and a non-distributable layer is never re-typed into an ordinary one.
describe('prepareImage and foreign layers', () => {
  it('recompresses an ordinary layer with URLs, leaves foreign and non-distributable layers as they are', async () => {
    const store = createMemoryStore();
    const tar = new Uint8Array(1024);
    const gz = gzipSync(tar);
    const put = async (mediaType: string, extra: Partial<Descriptor> = {}): Promise<Descriptor> => ({
      ...(await writeBlob(store, gz, { mediaType })),
      ...extra,
    });
    const urls = ['https://example.com/layer'];
    const ordinaryWithUrls = await put(MediaType.ociLayerGzip, { urls });
    const foreign = await put(MediaType.ociLayerNondistributableGzip, { urls });
    const nondistributable = await put(MediaType.ociLayerNondistributableGzip);
    expect([ordinaryWithUrls, foreign, nondistributable].map(isForeignLayer)).toEqual([false, true, false]);
    const config = await writeBlob(store, new TextEncoder().encode('{"architecture":"amd64","os":"linux"}'), {
      mediaType: MediaType.ociConfig,
    });
    const manifest = encodeManifest({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config,
      layers: [ordinaryWithUrls, foreign, nondistributable],
    });
    const root = await writeBlob(store, manifest.bytes, { mediaType: MediaType.ociManifest });
    const prepared = await prepareImage(store, root, { compression: 'zstd' });
    try {
      const out = decodeManifest(await readBlob(prepared.provider, prepared.root)).value;
      expect(out.layers[0]?.mediaType).toBe(MediaType.ociLayerZstd);
      const zstd = await readBlob(prepared.provider, out.layers[0] as Descriptor);
      // zstd's frame magic, RFC 8878 section 3.1.1.
      expect([...zstd.subarray(0, 4)]).toEqual([0x28, 0xb5, 0x2f, 0xfd]);
      expect(out.layers[1]).toEqual(foreign);
      expect(out.layers[2]).toEqual(nondistributable);
    } finally {
      await prepared.close();
    }
  });
});
