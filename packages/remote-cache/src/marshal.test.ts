import { createHash } from 'node:crypto';
import type { Digest } from '@lading/digest';
import { describe, expect, it } from 'vitest';
import { CacheChains } from './cache-chains.js';
import { encodeCacheConfig } from './encode-cache-config.js';
import { parseCacheConfig } from './parse-cache-config.js';

const h = (c: string) => `sha256:${c.repeat(64)}` as Digest;
const gz = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
/** BuildKit's marshalRemote records layer types in OCI spelling. */
const ociGz = 'application/vnd.oci.image.layer.v1.tar+gzip';
const L1 = { mediaType: gz, digest: h('1'), size: 10 } as const;
const L2 = {
  mediaType: gz,
  digest: h('0'),
  size: 20,
  annotations: { 'containerd.io/uncompressed': h('d'), 'buildkit/createdat': '2024-01-02T03:04:05.5Z' },
} as const;
const recC = `sha256:${'0'.repeat(63)}c`;

/** A, then B fed by A, then C fed by B (selector with characters Go escapes). */
function smallChains(): CacheChains {
  const c = new CacheChains();
  const a = c.add(h('a'));
  const b = c.add(h('b'));
  const cc = c.add(recC);
  c.link(a, b, { input: 0 });
  c.link(b, cc, { input: 0, selector: '/foo<x>&' });
  c.addResult(a, { descriptors: [L1] }, { createdAt: new Date('2024-01-02T03:04:05Z') });
  c.addResult(b, { descriptors: [L1, L2] }, { createdAt: new Date('2024-01-02T03:04:05.500Z') });
  return c;
}

// Derived by hand from BuildKit's rules: layers sorted by blob (L2 "000…" before L1 "111…", so L2's parent becomes
// index 1 and L1 keeps parent -1), records by digest (C < A < B -> 0, 1, 2), links remapped, empty fields omitted,
// a parent of 0 omitted, `<`, `>`, `&` escaped, times in RFC 3339 with trailing zeros dropped, layer types in OCI
// spelling.
const expected =
  '{"layers":[' +
  `{"blob":"${h('0')}","parent":1,"annotations":{"mediaType":"${ociGz}","diffID":"${h('d')}","size":20,"createdAt":"2024-01-02T03:04:05.5Z"}},` +
  `{"blob":"${h('1')}","parent":-1}` +
  '],"records":[' +
  `{"digest":"${recC}","inputs":[[{"selector":"/foo\\u003cx\\u003e\\u0026","link":2}]]},` +
  `{"layers":[{"layer":1,"createdAt":"2024-01-02T03:04:05Z"}],"digest":"${h('a')}"},` +
  `{"layers":[{"layer":0,"createdAt":"2024-01-02T03:04:05.5Z"}],"digest":"${h('b')}","inputs":[[{"link":1}]]}` +
  ']}';

describe('cache config marshal', () => {
  it('matches the hand-derived BuildKit JSON for a small graph', () => {
    const bytes = encodeCacheConfig(smallChains().marshal({ mode: 'max' }).config);
    expect(new TextDecoder().decode(bytes)).toBe(expected);
  });

  it('is byte-for-byte stable across runs and insertion orders', () => {
    const c = new CacheChains();
    const cc = c.add(recC);
    const b = c.add(h('b'));
    const a = c.add(h('a'));
    c.addResult(b, { descriptors: [L1, L2] }, { createdAt: '2024-01-02T03:04:05.5Z' });
    c.link(b, cc, { input: 0, selector: '/foo<x>&' });
    c.link(a, b, { input: 0 });
    c.addResult(a, { descriptors: [L1] }, { createdAt: '2024-01-02T03:04:05Z' });
    const first = encodeCacheConfig(smallChains().marshal({ mode: 'max' }).config);
    const again = encodeCacheConfig(smallChains().marshal({ mode: 'max' }).config);
    const other = encodeCacheConfig(c.marshal({ mode: 'max' }).config);
    expect(Buffer.from(again).equals(Buffer.from(first))).toBe(true);
    expect(Buffer.from(other).equals(Buffer.from(first))).toBe(true);
    const sha = createHash('sha256').update(first).digest('hex');
    expect(sha).toBe(createHash('sha256').update(expected).digest('hex'));
  });

  it('min mode keeps the final records and what feeds them, each with its results, as BuildKit', () => {
    // C is the only record nothing depends on; A and B feed it. BuildKit's min mode keeps B's and A's results (their
    // blobs exist), so min and max agree here.
    const c = smallChains();
    const min = encodeCacheConfig(c.marshal({ mode: 'min' }).config);
    expect(new TextDecoder().decode(min)).toBe(expected);
    // D is fed by A but feeds no final record: min leaves it (and its result) out, max keeps it.
    const c2 = new CacheChains();
    const a = c2.add(h('a'));
    const b = c2.add(h('b'));
    const d = c2.add(h('e'));
    c2.link(a, b, { input: 0 });
    c2.link(a, d, { input: 0 });
    c2.addResult(a, { descriptors: [L1] });
    c2.addResult(b, { descriptors: [L1, L2] });
    c2.addResult(d, { descriptors: [L2] });
    c2.markFinal(b);
    const j2 = JSON.parse(new TextDecoder().decode(encodeCacheConfig(c2.marshal().config)));
    expect(j2.records.map((r: { digest: string }) => r.digest)).toEqual([h('a'), h('b')]);
    expect(j2.records[0].layers).toEqual([{ layer: 1, createdAt: '0001-01-01T00:00:00Z' }]);
    expect(j2.records[1].layers).toEqual([{ layer: 0, createdAt: '0001-01-01T00:00:00Z' }]);
    const max = JSON.parse(new TextDecoder().decode(encodeCacheConfig(c2.marshal({ mode: 'max' }).config)));
    expect(max.records.map((r: { digest: string }) => r.digest)).toEqual([h('a'), h('b'), h('e')]);
  });

  it('merges records with the same digest and inputs, and drops the empty gzip layer', () => {
    const c = new CacheChains();
    const a1 = c.add(h('a'));
    const a2 = c.add(h('a'));
    const empty = {
      mediaType: gz,
      digest: 'sha256:4f4fb700ef54461cfa02571ae0db9a0dc1e0cdb5577484a6d75e68dc38e8acc1' as Digest,
      size: 32,
    };
    c.addResult(a1, { descriptors: [L1, empty] });
    c.addResult(a2, { descriptors: [L1] });
    const cfg = c.marshal({ mode: 'max' }).config;
    expect(cfg.records).toHaveLength(1);
    expect(cfg.layers).toEqual([{ blob: h('1'), parent: -1 }]);
    expect(cfg.records[0]?.results).toEqual([{ layer: 0, createdAt: '0001-01-01T00:00:00Z' }]);
  });

  it('refuses a loop of links and an input nothing feeds', () => {
    const c = new CacheChains();
    const a = c.add(h('a'));
    const b = c.add(h('b'));
    c.link(a, b, { input: 0 });
    c.link(b, a, { input: 0 });
    expect(() => c.marshal({ mode: 'max' })).toThrow(expect.objectContaining({ code: 'CACHE_LOOP' }));
    const d = new CacheChains();
    const x = d.add(h('a'));
    const y = d.add(h('b'));
    d.link(x, y, { input: 1 });
    expect(() => d.marshal({ mode: 'max' })).toThrow(expect.objectContaining({ code: 'INCOMPLETE_LINKS' }));
    expect(() => new CacheChains().add('sha256:nope')).toThrow(
      expect.objectContaining({ kind: 'invalid-input' }),
    );
  });
});

describe('parseCacheConfig', () => {
  it('reads back what was written, a missing parent meaning 0', () => {
    const cfg = parseCacheConfig(expected);
    expect(cfg.layers[0]?.parent).toBe(1);
    expect(cfg.records[0]?.inputs[0]?.[0]).toEqual({ selector: '/foo<x>&', link: 2 });
    expect(Buffer.from(encodeCacheConfig(cfg)).toString()).toBe(expected);
    const p = parseCacheConfig(`{"layers":[{"blob":"${h('1')}","parent":-1},{"blob":"${h('2')}"}]}`);
    expect(p.layers[1]?.parent).toBe(0);
  });

  const bad: [string, string][] = [
    ['not json', '{'],
    ['not an object', '[]'],
    ['bad digest', '{"layers":[{"blob":"sha256:xyz","parent":-1}]}'],
    ['parent out of range', `{"layers":[{"blob":"${h('1')}","parent":5}]}`],
    ['parent loop', `{"layers":[{"blob":"${h('1')}","parent":1},{"blob":"${h('2')}"}]}`],
    ['result out of range', `{"records":[{"digest":"${h('a')}","layers":[{"layer":0}]}]}`],
    ['link out of range', `{"records":[{"digest":"${h('a')}","inputs":[[{"link":3}]]}]}`],
    [
      'link loop',
      `{"records":[{"digest":"${h('a')}","inputs":[[{"link":1}]]},{"digest":"${h('b')}","inputs":[[{"link":0}]]}]}`,
    ],
    ['selector type', `{"records":[{"digest":"${h('a')}","inputs":[[{"link":0,"selector":1}]]}]}`],
    [
      'bad time',
      `{"records":[{"digest":"${h('a')}"}],"layers":[{"blob":"${h('1')}","parent":-1,"annotations":{"createdAt":"soon"}}]}`,
    ],
  ];
  it.each(bad)('refuses %s with InvalidInputError', (_name, text) => {
    expect(() => parseCacheConfig(text)).toThrow(expect.objectContaining({ kind: 'invalid-input' }));
  });
});
