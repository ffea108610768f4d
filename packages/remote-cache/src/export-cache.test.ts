import { createHash } from 'node:crypto';
import { createMemoryStore, type FullStore, readBlob, writeBlob } from '@lading/content-store';
import type { Descriptor, Digest } from '@lading/digest';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CacheChains, type CacheRecord } from './cache-chains.js';
import { storeCacheTarget } from './cache-targets.js';
import { encodeCacheConfig } from './encode-cache-config.js';
import { type ExportProgress, exportCache } from './export-cache.js';
import { importCache } from './import-cache.js';

const gz = 'application/vnd.oci.image.layer.v1.tar+gzip';
const sha = (b: Uint8Array | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function layer(store: FullStore, text: string): Promise<Descriptor> {
  const bytes = new TextEncoder().encode(text);
  await writeBlob(store, bytes);
  return {
    mediaType: gz,
    digest: sha(bytes) as Digest,
    size: bytes.byteLength,
    annotations: {
      'containerd.io/uncompressed': sha(`diff-${text}`),
      'buildkit/createdat': '2025-05-06T07:08:09Z',
    },
  };
}

async function sample() {
  const src = createMemoryStore();
  const base = await layer(src, 'base layer');
  const top = await layer(src, 'top layer');
  const chains = new CacheChains();
  const a = chains.add(sha('op-a'));
  const b = chains.add(sha('op-b'));
  chains.link(a, b, { input: 0, selector: '/src' });
  chains.addResult(a, { descriptors: [base], provider: src }, { createdAt: '2025-05-06T07:08:09Z' });
  chains.addResult(b, { descriptors: [base, top], provider: src }, { createdAt: '2025-05-06T07:08:10Z' });
  return { src, base, top, chains, a, b };
}

const text = async (store: FullStore, d: Descriptor) => new TextDecoder().decode(await readBlob(store, d));

describe('exportCache', () => {
  it('by default writes layers, config, then one OCI image manifest, as BuildKit since v0.21', async () => {
    const { base, top, chains } = await sample();
    const dst = createMemoryStore();
    const events: ExportProgress[] = [];
    const res = await exportCache(chains, storeCacheTarget(dst), { onProgress: (e) => events.push(e) });
    const root = res.descriptor as Descriptor;
    expect(root.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    const rootText = await text(dst, root);
    expect(sha(rootText)).toBe(root.digest);
    expect(JSON.parse(res.response['cache.manifest'] as string)).toEqual({
      mediaType: root.mediaType,
      digest: root.digest,
      size: Buffer.byteLength(rootText),
    });
    const m = JSON.parse(rootText);
    expect(Object.keys(m)).toEqual(['schemaVersion', 'mediaType', 'config', 'layers']);
    expect(m.schemaVersion).toBe(2);
    expect(m.config.mediaType).toBe('application/vnd.buildkit.cacheconfig.v0');
    const cfgText = await text(dst, m.config);
    expect(sha(cfgText)).toBe(m.config.digest);
    // Layers in the config's order (sorted by blob), with their annotations.
    expect(m.layers.map((d: Descriptor) => d.digest)).toEqual([base.digest, top.digest].sort());
    expect(m.layers.every((d: Descriptor) => d.mediaType === gz)).toBe(true);
    expect(m.layers[0].annotations['containerd.io/uncompressed']).toMatch(/^sha256:/);
    for (const d of [base, top]) expect(await dst.has(d)).toBe(true);
    const started = events.filter((e) => e.status === 'started').map((e) => e.id);
    expect(started).toEqual([
      ...[base.digest, top.digest].sort().map((d) => `writing layer ${d}`),
      `writing config ${m.config.digest}`,
      `writing cache image manifest ${root.digest}`,
    ]);
    // The root is tagged in the target's index.
    const index = await dst.readIndex();
    expect(index.manifests[0]?.annotations?.['org.opencontainers.image.ref.name']).toBe('latest');
  });

  it('image-manifest=false: an OCI index; oci-mediatypes=false: a Docker manifest list with Docker layer types', async () => {
    const { chains } = await sample();
    const dst = createMemoryStore();
    const events: ExportProgress[] = [];
    const idx = await exportCache(chains, storeCacheTarget(dst), {
      imageManifest: false,
      onProgress: (e) => events.push(e),
    });
    expect(idx.descriptor?.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(events.at(-1)?.id).toBe(`writing cache manifest ${idx.descriptor?.digest}`);
    const index = JSON.parse(await text(dst, idx.descriptor as Descriptor));
    expect(Object.keys(index)).toEqual(['schemaVersion', 'mediaType', 'manifests']);
    expect(index.manifests.map((d: Descriptor) => d.mediaType)).toEqual([
      gz,
      gz,
      'application/vnd.buildkit.cacheconfig.v0',
    ]);
    const list = await exportCache(chains, storeCacheTarget(dst), { ociMediatypes: false });
    expect(list.descriptor?.mediaType).toBe('application/vnd.docker.distribution.manifest.list.v2+json');
    const l = JSON.parse(await text(dst, list.descriptor as Descriptor));
    expect(l.manifests.map((d: Descriptor) => d.mediaType)).toEqual([
      'application/vnd.docker.image.rootfs.diff.tar.gzip',
      'application/vnd.docker.image.rootfs.diff.tar.gzip',
      'application/vnd.buildkit.cacheconfig.v0',
    ]);
    // The same config blob in every form.
    expect(l.manifests[2].digest).toBe(index.manifests[2].digest);
    await expect(
      exportCache(chains, storeCacheTarget(dst), { imageManifest: true, ociMediatypes: false }),
    ).rejects.toMatchObject({ kind: 'option' });
  });

  it('chains without a layer write nothing, as BuildKit skips an empty result', async () => {
    const chains = new CacheChains();
    chains.add(sha('op-a'));
    const dst = createMemoryStore();
    const events: ExportProgress[] = [];
    const res = await exportCache(chains, storeCacheTarget(dst), { onProgress: (e) => events.push(e) });
    expect(res).toMatchObject({ response: {}, skipped: true });
    expect(events.map((e) => e.id)).toEqual([
      'skipping cache export for empty result',
      'skipping cache export for empty result',
    ]);
    expect((await dst.readIndex()).manifests).toEqual([]);
  });

  it('names a missing layer blob, unless ignore-error is set', async () => {
    const { chains, a } = await sample();
    const empty = createMemoryStore();
    const ghost = { mediaType: gz, digest: sha('ghost') as Digest, size: 5 };
    chains.addResult(a, { descriptors: [ghost], provider: empty });
    const dst = createMemoryStore();
    await expect(exportCache(chains, storeCacheTarget(dst), { mode: 'max' })).rejects.toMatchObject({
      kind: 'not-found',
      message: expect.stringContaining(ghost.digest),
    });
    const res = await exportCache(chains, storeCacheTarget(dst), { mode: 'max', ignoreError: true });
    expect(res.response).toEqual({});
    expect(res.error?.message).toContain(ghost.digest);
  });

  it('round-trips through import in every form: same config bytes, results found by cache key', async () => {
    const { chains, base, top } = await sample();
    for (const [options, form] of [
      [{}, 'image-manifest'],
      [{ imageManifest: false }, 'oci-index'],
      [{ ociMediatypes: false }, 'manifest-list'],
    ] as const) {
      const dst = createMemoryStore();
      const res = await exportCache(chains, storeCacheTarget(dst), { mode: 'max', ...options });
      const imported = await importCache(dst, res.descriptor as Descriptor);
      expect(imported.form).toBe(form);
      expect(encodeCacheConfig(imported.chains.marshal({ mode: 'max' }).config)).toEqual(res.config?.bytes);
      const found = imported.findResult(sha('op-b'));
      expect(found?.layers.map((d) => d.digest)).toEqual([base.digest, top.digest]);
      expect(found?.createdAt).toBe('2025-05-06T07:08:10Z');
      expect(imported.findResult(sha('nothing'))).toBeUndefined();
      // Imported chains export again (blobs read from the imported store).
      const again = await exportCache(imported.chains, storeCacheTarget(createMemoryStore()), {
        mode: 'max',
        ...options,
      });
      expect(again.descriptor?.digest).toBe(res.descriptor?.digest);
    }
  });

  it('a result whose blob the root does not list (nor the config describe) is left out, the rest is read', async () => {
    const src = createMemoryStore();
    const bare = async (t: string) => {
      const { annotations: _none, ...d } = await layer(src, t);
      return d;
    };
    const [base, top] = [await bare('base layer'), await bare('top layer')];
    const chains = new CacheChains();
    const a = chains.add(sha('op-a'));
    const b = chains.add(sha('op-b'));
    chains.link(a, b, { input: 0 });
    chains.addResult(a, { descriptors: [base], provider: src });
    chains.addResult(b, { descriptors: [base, top], provider: src });
    const dst = createMemoryStore();
    const res = await exportCache(chains, storeCacheTarget(dst), { imageManifest: false });
    const index = JSON.parse(await text(dst, res.descriptor as Descriptor));
    // Drop the top layer from the root: op-b's result needs it, op-a's does not.
    index.manifests.splice(
      index.manifests.findIndex((d: Descriptor) => d.digest === top.digest),
      1,
    );
    const bytes = new TextEncoder().encode(JSON.stringify(index));
    const root = await writeBlob(dst, bytes, { mediaType: index.mediaType });
    const imported = await importCache(dst, root);
    expect(imported.findResult(sha('op-b'))).toBeUndefined();
    expect(imported.findResult(sha('op-a'))?.layers).toHaveLength(1);
  });

  it('refuses a root that is not a cache, nor an image with an inline cache', async () => {
    const dst = createMemoryStore();
    const put = (o: unknown, mediaType: string) =>
      writeBlob(dst, new TextEncoder().encode(JSON.stringify(o)), { mediaType });
    const emptyIndex = await put(
      { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] },
      'application/vnd.oci.image.index.v1+json',
    );
    await expect(importCache(dst, emptyIndex)).rejects.toMatchObject({ code: 'NO_BUILDKIT_CACHE' });
    const config = await put({ architecture: 'amd64', rootfs: { type: 'layers', diff_ids: [] } }, 'x');
    const image = await put(
      {
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { ...config, mediaType: 'application/vnd.oci.image.config.v1+json' },
        layers: [{ mediaType: gz, digest: sha('l'), size: 1 }],
      },
      'application/vnd.oci.image.manifest.v1+json',
    );
    await expect(importCache(dst, image)).rejects.toMatchObject({ code: 'NO_BUILDKIT_CACHE' });
    const liar = await put(
      { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', layers: [] },
      'application/vnd.oci.image.index.v1+json',
    );
    await expect(importCache(dst, liar)).rejects.toMatchObject({ code: 'BAD_CACHE_ROOT' });
    const notJson = await writeBlob(dst, new TextEncoder().encode('garbage'), { mediaType: 'x' });
    await expect(importCache(dst, notJson)).rejects.toMatchObject({ code: 'BAD_CACHE_ROOT' });
  });
});

describe('importCache reads a root as BuildKit does (cache/remotecache/import.go)', () => {
  const put = (dst: FullStore, o: unknown, mediaType: string) =>
    writeBlob(dst, new TextEncoder().encode(JSON.stringify(o)), { mediaType });

  it('a list without a mediaType field is a Docker manifest list (DetectManifestBlobMediaType), whatever the descriptor says', async () => {
    const { chains, a, b } = await sample();
    const dst = createMemoryStore();
    const res = await exportCache(chains, storeCacheTarget(dst), { imageManifest: false });
    const { mediaType: _dropped, ...list } = JSON.parse(await text(dst, res.descriptor as Descriptor));
    // Entries are layers and the cache config, not manifests: the decoder takes them as they are.
    expect(list.manifests.map((d: Descriptor) => d.mediaType)).toContain(
      'application/vnd.buildkit.cacheconfig.v0',
    );
    const root = await put(dst, list, 'application/vnd.oci.image.index.v1+json');
    const imported = await importCache(dst, root);
    expect(imported.form).toBe('manifest-list');
    expect(imported.findResult(a.digest)?.layers).toHaveLength(1);
    expect(imported.findResult(b.digest)?.layers).toHaveLength(2);
  });

  it('an entry that is not a descriptor: BAD_CACHE_ROOT, caused by the manifest decoder', async () => {
    const dst = createMemoryStore();
    const root = await put(
      dst,
      {
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [{ mediaType: gz, digest: 'sha256:nothex', size: 1 }],
      },
      'application/vnd.oci.image.index.v1+json',
    );
    const err = await importCache(dst, root).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'BAD_CACHE_ROOT', cause: { code: 'MANIFEST_INVALID' } });
  });
});

describe('round trip over random chain graphs', () => {
  const hex = fc.constantFrom(...'0123456789abcdef'.split(''));
  const graph = fc.record({
    blobs: fc.uniqueArray(fc.string({ minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 6 }),
    records: fc.array(
      fc.record({
        digest: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
        inputs: fc.array(
          fc.array(fc.record({ from: fc.nat(), selector: fc.constantFrom('', '/x', '<y>') }), {
            minLength: 1,
            maxLength: 2,
          }),
          { maxLength: 2 },
        ),
        results: fc.array(fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), { maxLength: 2 }),
        second: fc.integer({ min: 0, max: 59 }),
      }),
      { minLength: 1, maxLength: 8 },
    ),
    salt: fc.array(hex, { minLength: 1, maxLength: 3 }),
  });

  it('export then import gives back the same chains', async () => {
    await fc.assert(
      fc.asyncProperty(graph, async (g) => {
        const src = createMemoryStore();
        const layers: Descriptor[] = [];
        for (const b of g.blobs) layers.push(await layer(src, b));
        const chains = new CacheChains();
        const handles: CacheRecord[] = [];
        g.records.forEach((r, i) => {
          const h = chains.add(sha(`${r.digest}${g.salt.join('')}`));
          if (i > 0) {
            r.inputs.forEach((ins, input) => {
              for (const x of ins)
                chains.link(handles[x.from % i] as CacheRecord, h, { input, selector: x.selector });
            });
          }
          for (const res of r.results) {
            const descriptors = res.map((n) => layers[n % layers.length] as Descriptor);
            chains.addResult(
              h,
              { descriptors, provider: src },
              { createdAt: new Date(Date.UTC(2025, 0, 1, 0, 0, r.second)) },
            );
          }
          handles.push(h);
        });
        const dst = createMemoryStore();
        const res = await exportCache(chains, storeCacheTarget(dst), { mode: 'max' });
        if (res.skipped) {
          // Nothing to write without a layer, as BuildKit.
          expect(chains.marshal({ mode: 'max' }).config.layers).toHaveLength(0);
          return;
        }
        const imported = await importCache(dst, res.descriptor as Descriptor);
        const again = imported.chains.marshal({ mode: 'max' });
        expect(Buffer.from(encodeCacheConfig(again.config)).toString()).toBe(
          Buffer.from(res.config?.bytes as Uint8Array).toString(),
        );
        // Every result put in is found by its cache key, with its layer digests.
        g.records.forEach((r, i) => {
          const found = imported
            .findResults(handles[i]?.digest as Digest)
            .map((f) => f.layers.map((d) => d.digest).join());
          for (const res of r.results) {
            const want = res.map((n) => (layers[n % layers.length] as Descriptor).digest);
            // A chain that repeats a blob is still one chain of those blobs.
            expect(found).toContain(want.join());
          }
        });
      }),
      { numRuns: 200 },
    );
  });
});
