import { createMemoryStore, readBlob, StoreSink, writeBlob } from '@lading/content-store';
import { type Descriptor, digestOf, parseDigest } from '@lading/digest';
import { describe, expect, it } from 'vitest';
import { withDescriptorAnnotations, withManifestAnnotations } from './annotations.js';
import { buildIndex } from './build-index.js';
import { encodeManifest } from './encode.js';
import { selectPlatform } from './platform.js';
import { copyGraph, walk } from './walk.js';

const enc = (s: string) => new TextEncoder().encode(s);

async function sampleGraph() {
  const store = createMemoryStore();
  const layer = await writeBlob(store, enc('layer'), { mediaType: 'application/vnd.oci.image.layer.v1.tar' });
  const config = await writeBlob(store, enc('{}'), { mediaType: 'application/vnd.oci.image.config.v1+json' });
  const cfg: Descriptor = {
    mediaType: 'application/vnd.oci.image.config.v1+json',
    digest: config.digest,
    size: config.size,
  };
  const lay: Descriptor = {
    mediaType: 'application/vnd.oci.image.layer.v1.tar',
    digest: layer.digest,
    size: layer.size,
  };
  const m = encodeManifest({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: cfg,
    layers: [lay],
  });
  await writeBlob(store, m.bytes);
  const idx = buildIndex([{ descriptor: m.descriptor, platform: { os: 'linux', architecture: 'amd64' } }], {
    oci: true,
  });
  await writeBlob(store, idx.bytes);
  return { store, cfg, lay, m, idx };
}

describe('walk and copyGraph', () => {
  it('visits index, manifest, config and layer once each', async () => {
    const { store, idx, m, cfg, lay } = await sampleGraph();
    const seen: string[] = [];
    await walk(store, idx.descriptor, (d, c) => {
      seen.push(d.digest);
      return c.children();
    });
    expect(seen.sort()).toEqual([idx.descriptor.digest, m.descriptor.digest, cfg.digest, lay.digest].sort());
  });

  it('skips below a node whose handler returns nothing', async () => {
    const { store, idx } = await sampleGraph();
    const seen: string[] = [];
    await walk(store, idx.descriptor, (d) => {
      seen.push(d.digest);
      return undefined;
    });
    expect(seen).toEqual([idx.descriptor.digest]);
  });

  it('copies children before parents, root last', async () => {
    const { store, idx, m } = await sampleGraph();
    const dst = createMemoryStore();
    const order: string[] = [];
    await copyGraph(store, new StoreSink(dst), idx.descriptor, {
      onProgress: (e) => order.push(e.descriptor.digest),
    });
    expect(order).toHaveLength(4);
    expect(order.at(-1)).toBe(idx.descriptor.digest);
    expect(order.indexOf(m.descriptor.digest)).toBe(2);
    expect(await readBlob(dst, idx.descriptor)).toEqual(idx.bytes);
  });

  it('reports a failed child only after its siblings have settled (nothing writes after the rejection)', async () => {
    const { store, m, cfg, lay } = await sampleGraph();
    const dst = createMemoryStore();
    let slowDone = false;
    const sink = new StoreSink(dst);
    const failing = {
      has: (d: Descriptor) => sink.has(d),
      async put(d: Descriptor, src: Parameters<StoreSink['put']>[1], o?: Parameters<StoreSink['put']>[2]) {
        if (d.digest === lay.digest) throw new Error('layer unreadable');
        await new Promise((r) => setTimeout(r, 100));
        const result = await sink.put(d, src, o);
        slowDone = true;
        return result;
      },
    };
    await expect(copyGraph(store, failing, m.descriptor)).rejects.toThrow('layer unreadable');
    expect(slowDone).toBe(true);
    expect(await readBlob(dst, cfg)).toEqual(enc('{}'));
  });
});

describe('selectPlatform', () => {
  const d = (c: string, platform: Descriptor['platform']): Descriptor => ({
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: parseDigest(`sha256:${c.repeat(64)}`),
    size: 1,
    ...(platform ? { platform } : {}),
  });
  const index = {
    schemaVersion: 2 as const,
    manifests: [
      d('0', undefined),
      d('1', { os: 'linux', architecture: 'arm', variant: 'v6' }),
      d('2', { os: 'linux', architecture: 'arm', variant: 'v7' }),
      d('3', { os: 'linux', architecture: 'amd64' }),
      d('4', { os: 'windows', architecture: 'amd64', 'os.version': '10.0.17763.1' }),
      d('5', { os: 'windows', architecture: 'amd64', 'os.version': '10.0.20348.1' }),
    ],
  };
  it.each([
    [{ os: 'linux', architecture: 'arm', variant: 'v7' }, '2'],
    [{ os: 'linux', architecture: 'arm', variant: 'v8' }, '2'],
    [{ os: 'linux', architecture: 'arm', variant: 'v6' }, '1'],
    [{ os: 'linux', architecture: 'x86_64' }, '3'],
    [{ os: 'windows', architecture: 'amd64', 'os.version': '10.0.20348.1' }, '5'],
    [{ os: 'linux', architecture: 'ppc64le' }, undefined],
  ])('%j -> %s', (platform, want) => {
    const got = selectPlatform(index, platform);
    expect(got?.digest.slice(-1)).toBe(want);
  });
});

describe('buildIndex and annotations', () => {
  it('writes a Docker manifest list with platforms', () => {
    const desc = {
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      digest: parseDigest(`sha256:${'a'.repeat(64)}`),
      size: 7,
    };
    const e = buildIndex([{ descriptor: desc, platform: { architecture: 'amd64', os: 'linux' } }], {
      oci: false,
    });
    const text = `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"sha256:${'a'.repeat(64)}","size":7,"platform":{"architecture":"amd64","os":"linux"}}]}`;
    expect(new TextDecoder().decode(e.bytes)).toBe(text);
    expect(e.descriptor.digest).toBe(digestOf(text));
  });

  it('adds annotations at each level and refuses non-string values', () => {
    const desc = { mediaType: 'text/plain', digest: parseDigest(`sha256:${'a'.repeat(64)}`), size: 7 };
    expect(withDescriptorAnnotations({ ...desc, annotations: { a: '1' } }, { b: '2' }).annotations).toEqual({
      a: '1',
      b: '2',
    });
    const m = encodeManifest({ schemaVersion: 2, config: desc, layers: [] });
    expect(new TextDecoder().decode(withManifestAnnotations(m, { k: 'v' }).bytes)).toMatch(
      /,"annotations":\{"k":"v"\}\}$/,
    );
    expect(() => withManifestAnnotations(m, { k: 1 } as never)).toThrow(/annotations/);
  });
});
