import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Descriptor, Digest } from '@lading/digest';
import { describe, expect, it } from 'vitest';
import { CacheChains } from './cache-chains.js';
import { encodeInlineCache, importInlineCache } from './inline-cache.js';

const gz = 'application/vnd.oci.image.layer.v1.tar+gzip';
const sha = (b: string) => `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;
const zero = '0001-01-01T00:00:00Z';
const layer = (name: string): Descriptor => ({
  mediaType: gz,
  digest: sha(`blob ${name}`),
  size: name.length,
  annotations: { 'containerd.io/uncompressed': sha(`diff ${name}`) },
});

/**
 * An image config BuildKit made (dockerd 20.10.24's builder, `FROM scratch`, two COPYs, BUILDKIT_INLINE_CACHE=1),
 * and its manifest's layers.
 */
const buildkitConfig = readFileSync(
  new URL('../test/fixtures/buildkit-0.8-inline-config.json', import.meta.url),
);
const buildkitLayers: Descriptor[] = [
  {
    mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
    size: 109,
    digest: 'sha256:d2d38ab2b6704c28f51934b321626c8d133d919579485e9febf27caf6364ddc5' as Digest,
  },
  {
    mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
    size: 110,
    digest: 'sha256:b224dc250d029f5da7cd60e11f37b927bff2ce3a11fbfe8716ec79c6b99cc961' as Digest,
  },
];

describe('importInlineCache', () => {
  it("reads BuildKit's inline cache: records from the config, the image's layers as the chain", () => {
    const cache = importInlineCache(buildkitConfig, buildkitLayers);
    expect(cache?.form).toBe('inline');
    expect(cache?.config.records).toHaveLength(7);
    // The last COPY's record: its result is the image's two layers, with BuildKit's annotations from the config.
    const top = cache?.findResult('sha256:43340346a47c73ded78a9f0f6bf935745ae1d3fe146946efcc9cccf9a5ce5cac');
    expect(top?.createdAt).toBe('2026-12-01T19:32:44.813710954Z');
    expect(top?.layers.map((d) => d.digest)).toEqual(buildkitLayers.map((d) => d.digest));
    expect(top?.layers[1]?.annotations).toEqual({
      'buildkit/createdat': '2026-12-01T19:32:44.812635347Z',
      'buildkit/description': 'COPY b.txt /b.txt # buildkit',
      'containerd.io/uncompressed': 'sha256:2fdc4fe0e00a4feebe17ce8af7b6d4cf633ae894a9d3992be5bd817d26dd5482',
    });
    const first = cache?.findResult(
      'sha256:c211630309aef05eae25922dbfe7e03fb4e5dcff366ee1fee2af17648bac05f8',
    );
    expect(first?.layers.map((d) => d.digest)).toEqual([buildkitLayers[0]?.digest]);
  });

  it('encoding the imported chains over the same layers gives back BuildKit’s bytes', () => {
    const cache = importInlineCache(buildkitConfig, buildkitLayers);
    const again = encodeInlineCache(cache?.chains as CacheChains, buildkitLayers);
    const original = Buffer.from(JSON.parse(buildkitConfig.toString())['moby.buildkit.cache.v0'], 'base64');
    expect(Buffer.from(again as Uint8Array).toString()).toBe(original.toString());
  });

  it('no inline cache: undefined; a malformed one: a typed error', () => {
    expect(importInlineCache({ architecture: 'amd64' }, [])).toBeUndefined();
    const bad = (value: unknown, diffIds: unknown[] = []) =>
      importInlineCache({ 'moby.buildkit.cache.v0': value, rootfs: { diff_ids: diffIds } }, []);
    expect(() => bad('%%%')).toThrow(expect.objectContaining({ code: 'BAD_INLINE_CACHE' }));
    expect(() => bad(42)).toThrow(expect.objectContaining({ code: 'BAD_INLINE_CACHE' }));
    // The old whole-config form is not BuildKit's: an object where an array of records belongs.
    expect(() => bad(Buffer.from('{"layers":[],"records":[]}').toString('base64'))).toThrow(
      expect.objectContaining({ code: 'BAD_INLINE_CACHE' }),
    );
    // diff IDs and layers disagree (BuildKit skips such an image).
    expect(() => bad(Buffer.from('[]').toString('base64'), ['sha256:x'])).toThrow(
      expect.objectContaining({ code: 'BAD_INLINE_CACHE' }),
    );
    // A result pointing past the image's layers.
    const past = Buffer.from(`[{"layers":[{"layer":3,"createdAt":"${zero}"}],"digest":"${sha('r')}"}]`);
    expect(() => bad(past.toString('base64'))).toThrow(expect.objectContaining({ code: 'BAD_CACHE_CONFIG' }));
  });
});

describe('encodeInlineCache', () => {
  it('writes the min-mode records as a JSON array, results pointing at image layers (hand-derived)', () => {
    const [base, top] = [layer('base'), layer('top')] as [Descriptor, Descriptor];
    const c = new CacheChains();
    const a = c.add(sha('op-a'));
    const b = c.add(sha('op-b'));
    c.link(a, b, { input: 0, selector: '/src' });
    c.addResult(a, { descriptors: [base] }, { createdAt: '2025-05-06T07:08:09Z' });
    c.addResult(b, { descriptors: [base, top] }, { createdAt: '2025-05-06T07:08:10Z' });
    // Records sort by digest: work the order out rather than assume it.
    const [first, second] = [sha('op-a'), sha('op-b')].sort();
    const recA = `{"layers":[{"layer":0,"createdAt":"2025-05-06T07:08:09Z"}],"digest":"${sha('op-a')}"}`;
    const linkA = first === sha('op-a') ? 0 : 1;
    const recB = `{"layers":[{"layer":1,"createdAt":"2025-05-06T07:08:10Z"}],"digest":"${sha('op-b')}","inputs":[[{"selector":"/src","link":${linkA}}]]}`;
    const expected = `[${first === sha('op-a') ? `${recA},${recB}` : `${recB},${recA}`}]`;
    expect(second).not.toBe(first);
    const bytes = encodeInlineCache(c, [base, top]);
    expect(Buffer.from(bytes as Uint8Array).toString()).toBe(expected);
    // What the image config carries round-trips.
    const cfg = {
      'moby.buildkit.cache.v0': Buffer.from(bytes as Uint8Array).toString('base64'),
      rootfs: { type: 'layers', diff_ids: [sha('diff base'), sha('diff top')] },
    };
    const back = importInlineCache(cfg, [base, top]);
    expect(back?.findResult(sha('op-b'))?.layers.map((d) => d.digest)).toEqual([base.digest, top.digest]);
  });

  it('a result out of image order becomes `chains`; one with a blob not in the image is dropped', () => {
    const [base, top, other] = [layer('base'), layer('top'), layer('other')] as [
      Descriptor,
      Descriptor,
      Descriptor,
    ];
    const c = new CacheChains();
    const a = c.add(sha('op-a'));
    c.addResult(a, { descriptors: [top] }, { createdAt: '2025-05-06T07:08:09Z' });
    c.addResult(a, { descriptors: [other] }, { createdAt: '2025-05-06T07:08:09Z' });
    const bytes = encodeInlineCache(c, [base, top]);
    // [top] alone is not the image's first layer: BuildKit names it by image index, with a zero time.
    expect(Buffer.from(bytes as Uint8Array).toString()).toBe(
      `[{"chains":[{"layers":[1],"createdAt":"${zero}"}],"digest":"${sha('op-a')}"}]`,
    );
    const none = new CacheChains();
    none.addResult(none.add(sha('op-x')), { descriptors: [other] });
    expect(encodeInlineCache(none, [base, top])).toBeUndefined();
  });

  it('an uncompressed image layer matches a blob whose diff ID it is', () => {
    const gzBlob = layer('u');
    const plain = { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha('diff u'), size: 1 };
    const c = new CacheChains();
    c.addResult(c.add(sha('op-u')), { descriptors: [gzBlob] }, { createdAt: zero });
    expect(Buffer.from(encodeInlineCache(c, [plain]) as Uint8Array).toString()).toBe(
      `[{"layers":[{"layer":0,"createdAt":"${zero}"}],"digest":"${sha('op-u')}"}]`,
    );
  });
});
