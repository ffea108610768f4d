import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type BlobSink,
  type BlobSource,
  createMemoryStore,
  type FullStore,
  type Provider,
  writeBlob,
} from '@lading/content-store';
import { type Descriptor, type Digest, NotFoundError } from '@lading/digest';
import { havePeers, makeTempDir, type RunningRegistry, run, startRegistry } from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CacheChains,
  type CacheExportTarget,
  encodeCacheConfig,
  exportCache,
  importCache,
  importLocalCache,
  openLocalCacheTarget,
} from '../src/index.js';

const sha = (b: Uint8Array | string) => `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;
const gz = 'application/vnd.oci.image.layer.v1.tar+gzip';

async function sampleChains(): Promise<CacheChains> {
  const src = createMemoryStore();
  const layer = async (text: string): Promise<Descriptor> => {
    const bytes = new TextEncoder().encode(text.repeat(1000));
    await writeBlob(src, bytes);
    return {
      mediaType: gz,
      digest: sha(bytes),
      size: bytes.byteLength,
      annotations: {
        'containerd.io/uncompressed': sha(`u${text}`),
        'buildkit/createdat': '2025-01-01T00:00:00Z',
      },
    };
  };
  const [l1, l2, l3] = [await layer('one'), await layer('two'), await layer('three')];
  const chains = new CacheChains();
  const base = chains.add(sha('FROM busybox'));
  const run1 = chains.add(sha('RUN make'));
  const copy = chains.add(sha('COPY . /src'));
  chains.link(base, run1, { input: 0 });
  chains.link(run1, copy, { input: 0 });
  chains.link(base, copy, { input: 1, selector: '/src' });
  chains.addResult(base, { descriptors: [l1], provider: src }, { createdAt: '2025-01-01T00:00:00Z' });
  chains.addResult(run1, { descriptors: [l1, l2], provider: src }, { createdAt: '2025-01-01T00:00:01Z' });
  chains.addResult(copy, { descriptors: [l1, l2, l3], provider: src }, { createdAt: '2025-01-01T00:00:02Z' });
  return chains;
}

const configText = (chains: CacheChains) =>
  Buffer.from(encodeCacheConfig(chains.marshal({ mode: 'max' }).config)).toString();

/** Test double: plain distribution API calls (remote-cache may not import @lading/push; the app wires that). */
function fetchSink(
  base: string,
  repo: string,
): BlobSink & { tag(desc: Descriptor, bytes: Uint8Array, tag: string): Promise<void> } {
  const isManifest = (mt: string) => /manifest|index/.test(mt);
  const collect = async (src: BlobSource) => {
    const parts: Uint8Array[] = [];
    for await (const c of src.open()) parts.push(c);
    return Buffer.concat(parts);
  };
  const putManifest = async (ref: string, mediaType: string, body: Uint8Array) => {
    const r = await fetch(`${base}/v2/${repo}/manifests/${ref}`, {
      method: 'PUT',
      headers: { 'content-type': mediaType },
      body,
    });
    if (r.status !== 201) throw new Error(`PUT manifest ${ref}: ${r.status} ${await r.text()}`);
  };
  return {
    async has(desc) {
      const kind = isManifest(desc.mediaType) ? 'manifests' : 'blobs';
      return (await fetch(`${base}/v2/${repo}/${kind}/${desc.digest}`, { method: 'HEAD' })).ok;
    },
    async put(desc, source) {
      const body = await collect(source);
      if (isManifest(desc.mediaType)) {
        await putManifest(desc.digest, desc.mediaType, body);
        return 'written';
      }
      const post = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
      const loc = new URL(post.headers.get('location') as string, base);
      loc.searchParams.set('digest', desc.digest);
      const put = await fetch(loc, {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream' },
        body,
      });
      if (put.status !== 201) throw new Error(`PUT blob ${desc.digest}: ${put.status}`);
      return 'written';
    },
    tag: (desc, bytes, tag) => putManifest(tag, desc.mediaType, bytes),
  };
}

/** Test double: a Provider over the registry (manifests by /manifests, blobs by /blobs). */
function fetchProvider(base: string, repo: string): Provider {
  const get = async (digest: Digest) => {
    let r = await fetch(`${base}/v2/${repo}/blobs/${digest}`);
    if (r.status === 404) {
      r = await fetch(`${base}/v2/${repo}/manifests/${digest}`, {
        headers: {
          accept: [
            'application/vnd.oci.image.index.v1+json',
            'application/vnd.oci.image.manifest.v1+json',
            'application/vnd.docker.distribution.manifest.list.v2+json',
          ].join(', '),
        },
      });
    }
    if (!r.ok) throw new NotFoundError('BLOB_NOT_FOUND', `registry has no ${digest}`);
    return new Uint8Array(await r.arrayBuffer());
  };
  return {
    async *read(ref) {
      yield await get(ref.digest);
    },
    async info(digest) {
      const b = await get(digest);
      const now = new Date();
      return { digest, size: b.byteLength, createdAt: now, updatedAt: now, labels: {} };
    },
  };
}

describe.runIf(havePeers('skopeo'))('local layout read by skopeo', () => {
  it('skopeo inspect --raw oci:DIR:TAG prints the cache root, and import gives back the chains', async () => {
    const dir = await makeTempDir('lading-cache-');
    try {
      const chains = await sampleChains();
      const target = await openLocalCacheTarget(dir.path, { tag: 'buildcache' });
      const res = await exportCache(chains, target, { mode: 'max', imageManifest: false });
      const raw = await run('skopeo', ['inspect', '--raw', `oci:${dir.path}:buildcache`]);
      expect(sha(raw.stdout)).toBe(res.descriptor?.digest);
      const parsed = JSON.parse(raw.stdout);
      expect(parsed.mediaType).toBe('application/vnd.oci.image.index.v1+json');
      expect(parsed.manifests.at(-1).mediaType).toBe('application/vnd.buildkit.cacheconfig.v0');
      const index = JSON.parse(await readFile(join(dir.path, 'index.json'), 'utf8'));
      expect(index.manifests[0].annotations['org.opencontainers.image.ref.name']).toBe('buildcache');
      const imported = await importLocalCache(dir.path, { tag: 'buildcache' });
      expect(configText(imported.chains)).toBe(configText(chains));
      const byDigest = await importLocalCache(dir.path, { digest: res.descriptor?.digest as Digest });
      expect(configText(byDigest.chains)).toBe(configText(chains));
      await expect(importLocalCache(dir.path, { tag: 'nope' })).rejects.toMatchObject({ kind: 'not-found' });
    } finally {
      await dir.cleanup();
    }
  });
});

describe.runIf(havePeers('skopeo', 'docker-registry'))('registry cache', () => {
  let registry: RunningRegistry;
  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(async () => {
    await registry?.stop();
  });

  const cases: [string, { ociMediatypes?: boolean; imageManifest?: boolean }, string, string][] = [
    [
      'manifest list (early BuildKit cache/remotecache/export.go)',
      { ociMediatypes: false },
      'list',
      'application/vnd.docker.distribution.manifest.list.v2+json',
    ],
    ['OCI index', { imageManifest: false }, 'index', 'application/vnd.oci.image.index.v1+json'],
    ['image manifest (the default)', {}, 'manifest', 'application/vnd.oci.image.manifest.v1+json'],
  ];
  it.each(cases)(
    'exports as %s, skopeo reads it, import gives back the chains',
    async (_n, opts, tag, mt) => {
      const chains = await sampleChains();
      const base = registry.url;
      const sink = fetchSink(base, 'cache');
      const target: CacheExportTarget = { sink, name: (root, bytes) => sink.tag(root, bytes, tag) };
      const res = await exportCache(chains, target, { mode: 'max', ...opts });
      const raw = await run('skopeo', [
        'inspect',
        '--raw',
        '--tls-verify=false',
        `docker://${registry.host}/cache:${tag}`,
      ]);
      expect(sha(raw.stdout)).toBe(res.descriptor?.digest);
      const m = JSON.parse(raw.stdout);
      expect(m.mediaType).toBe(mt);
      if (mt === 'application/vnd.oci.image.manifest.v1+json') {
        expect(m.config.mediaType).toBe('application/vnd.buildkit.cacheconfig.v0');
        expect(m.layers.map((l: Descriptor) => l.mediaType)).toEqual([gz, gz, gz]);
      } else {
        // A Docker manifest list carries Docker layer types (BuildKit's ConvertAllLayerMediaTypes).
        const layerType =
          opts.ociMediatypes === false ? 'application/vnd.docker.image.rootfs.diff.tar.gzip' : gz;
        expect(m.manifests.map((l: Descriptor) => l.mediaType)).toEqual([
          layerType,
          layerType,
          layerType,
          'application/vnd.buildkit.cacheconfig.v0',
        ]);
      }
      const imported = await importCache(fetchProvider(base, 'cache'), res.descriptor as Descriptor);
      expect(configText(imported.chains)).toBe(configText(chains));
      expect(imported.findResult(sha('COPY . /src'))?.layers).toHaveLength(3);
      // The imported chains export again from the registry into a fresh store, byte for byte.
      const again = createMemoryStore() as FullStore;
      const res2 = await exportCache(imported.chains, { sink: again }, { mode: 'max', ...opts });
      expect(res2.descriptor?.digest).toBe(res.descriptor?.digest);
    },
  );
});
