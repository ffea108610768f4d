import { createMemoryStore, writeBlob } from '@lading/content-store';
import { ExitCode, exitCodeFor, MediaType } from '@lading/digest';
import { describe, expect, it } from 'vitest';
import { labelImageGraph } from './gc-labels.js';

describe('labelImageGraph on JSON that is not a manifest', () => {
  it.each([
    ['truncated', new TextEncoder().encode('{"manifests":[')],
    ['not UTF-8', new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])],
    ['null', new TextEncoder().encode('null')],
  ])('refuses %s with MANIFEST_INVALID (exit 3) and labels nothing', async (_, body) => {
    const store = createMemoryStore();
    const root = await writeBlob(store, body, { mediaType: MediaType.ociIndex });
    const labelled: string[] = [];
    const content = {
      read: store.read.bind(store),
      info: store.info.bind(store),
      updateLabels: async (digest: string) => labelled.push(digest),
    };
    const err = await labelImageGraph(content, root).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'invalid-input', code: 'MANIFEST_INVALID' });
    expect(exitCodeFor(err)).toBe(ExitCode.invalidInput);
    expect(labelled).toEqual([]);
  });

  // BuildKit's exporter/containerimage/writer.go: `.0` the config then the layers; an index `.0`... its manifests.
  it('labels an index and its manifest for their children', async () => {
    const store = createMemoryStore();
    const config = await writeBlob(store, new TextEncoder().encode('{}'), { mediaType: MediaType.ociConfig });
    const manifest = await writeBlob(
      store,
      new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, config, layers: [] })),
      { mediaType: MediaType.ociManifest },
    );
    const index = await writeBlob(
      store,
      new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, manifests: [manifest] })),
      { mediaType: MediaType.ociIndex },
    );
    const labels = new Map<string, Readonly<Record<string, string>>>();
    await labelImageGraph(
      {
        read: store.read.bind(store),
        info: store.info.bind(store),
        updateLabels: async (d, l) => labels.set(d, l),
      },
      index,
    );
    expect(labels.get(manifest.digest)).toEqual({ 'containerd.io/gc.ref.content.0': config.digest });
    expect(labels.get(index.digest)).toEqual({ 'containerd.io/gc.ref.content.0': manifest.digest });
  });
});
