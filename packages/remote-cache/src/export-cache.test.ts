import { createHash } from 'node:crypto';
import { createMemoryStore, type FullStore, readBlob, writeBlob } from '@lading/content-store';
import type { Descriptor, Digest } from '@lading/digest';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CacheChains, type CacheRecord } from './cache-chains.js';
import { encodeInlineCache, storeCacheTarget } from './cache-targets.js';
import { encodeCacheConfig } from './encode-cache-config.js';
import { type ExportProgress, exportCache } from './export-cache.js';
import { importCache, importInlineCache } from './import-cache.js';

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
  it('writes layers, config, then a Docker manifest list with OCI descriptors, as seed 003', async () => {
    const { base, top, chains } = await sample();
    const dst = createMemoryStore();
    const events: ExportProgress[] = [];
    const res = await exportCache(chains, storeCacheTarget(dst), {
      mode: 'max',
      onProgress: (e) => events.push(e),
    });
    const root = res.descriptor as Descriptor;
    expect(root.mediaType).toBe('application/vnd.docker.distribution.manifest.list.v2+json');
    const rootText = await text(dst, root);
    expect(sha(rootText)).toBe(root.digest);
    expect(JSON.parse(res.response['cache.manifest'] as string)).toEqual({
      mediaType: root.mediaType,
      digest: root.digest,
      size: Buffer.byteLength(rootText),
    });
    const list = JSON.parse(rootText);
    expect(list.schemaVersion).toBe(2);
    const cfgDesc = list.manifests.at(-1);
    expect(cfgDesc.mediaType).toBe('application/vnd.buildkit.cacheconfig.v0');
    expect(list.manifests.slice(0, -1).map((d: Descriptor) => d.digest)).toEqual(
      [base.digest, top.digest].sort(),
    );
    expect(list.manifests[0].annotations['containerd.io/uncompressed']).toMatch(/^sha256:/);
    const cfgText = await text(dst, cfgDesc);
    expect(sha(cfgText)).toBe(cfgDesc.digest);
    for (const d of [base, top]) expect(await dst.has(d)).toBe(true);
    const started = events.filter((e) => e.status === 'started').map((e) => e.id);
    expect(started).toEqual([
      ...[base.digest, top.digest].sort().map((d) => `writing layer ${d}`),
      `writing config ${cfgDesc.digest}`,
      `writing manifest ${root.digest}`,
    ]);
    // The root is tagged in the target's index.
    const index = await dst.readIndex();
    expect(index.manifests[0]?.annotations?.['org.opencontainers.image.ref.name']).toBe('latest');
  });

  it('writes an OCI index with ociMediatypes and one image manifest with imageManifest', async () => {
    const { chains } = await sample();
    const dst = createMemoryStore();
    const idx = await exportCache(chains, storeCacheTarget(dst), { ociMediatypes: true });
    expect(idx.descriptor?.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    const im = await exportCache(chains, storeCacheTarget(dst), { imageManifest: true, mode: 'max' });
    const m = JSON.parse(await text(dst, im.descriptor as Descriptor));
    expect(m.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(m.config.mediaType).toBe('application/vnd.buildkit.cacheconfig.v0');
    expect(m.config.digest).toBe(im.config?.descriptor.digest);
    expect(m.layers).toHaveLength(2);
    await expect(
      exportCache(chains, storeCacheTarget(dst), { imageManifest: true, ociMediatypes: false }),
    ).rejects.toMatchObject({ kind: 'option' });
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

  it('round-trips through import: same config bytes, results found by cache key', async () => {
    const { chains, base, top } = await sample();
    const dst = createMemoryStore();
    const res = await exportCache(chains, storeCacheTarget(dst), { mode: 'max' });
    const imported = await importCache(dst, res.descriptor as Descriptor);
    expect(encodeCacheConfig(imported.chains.marshal({ mode: 'max' }).config)).toEqual(res.config?.bytes);
    expect(imported.findResult(sha('op-b'))?.layers.map((d) => d.digest)).toEqual([base.digest, top.digest]);
    expect(imported.findResult(sha('op-b'))?.createdAt).toBe('2025-05-06T07:08:10Z');
    expect(imported.findResult(sha('nothing'))).toBeUndefined();
    // Imported chains export again (blobs read from the imported store).
    const again = await exportCache(imported.chains, storeCacheTarget(createMemoryStore()), { mode: 'max' });
    expect(again.descriptor?.digest).toBe(res.descriptor?.digest);
  });

  it('inline cache: base64 of the min-mode config, read back from an image config', async () => {
    const { chains, base, top } = await sample();
    const inline = encodeInlineCache(chains);
    expect(inline.key).toBe('moby.buildkit.cache.v0');
    const decoded = JSON.parse(Buffer.from(inline.value, 'base64').toString());
    expect(decoded.records).toHaveLength(2);
    const imageConfig = new TextEncoder().encode(
      JSON.stringify({ architecture: 'amd64', [inline.key]: inline.value }),
    );
    const imported = importInlineCache(imageConfig, [base, top]);
    expect(imported?.findResult(sha('op-b'))?.layers.map((d) => d.digest)).toEqual([base.digest, top.digest]);
    expect(importInlineCache({ architecture: 'amd64' }, [])).toBeUndefined();
    expect(() => importInlineCache({ [inline.key]: '%%%' }, [])).toThrow(
      expect.objectContaining({ kind: 'invalid-input' }),
    );
  });

  it('refuses a root that is not a cache', async () => {
    const dst = createMemoryStore();
    const bytes = new TextEncoder().encode(
      '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}',
    );
    const d = await writeBlob(dst, bytes, { mediaType: 'application/vnd.oci.image.index.v1+json' });
    await expect(importCache(dst, d)).rejects.toMatchObject({ code: 'BAD_CACHE_ROOT' });
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
