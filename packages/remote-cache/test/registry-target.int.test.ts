import { createMemoryStore, writeBlob } from '@lading/content-store';
import { digestOf, MediaType } from '@lading/digest';
import { RegistryClient, RegistryTarget } from '@lading/push';
import { havePeers, run, startRegistry } from '@lading/testkit';
import { describe, expect, it } from 'vitest';
import { CacheChains, exportCache } from '../src/index.js';

// `--cache-to type=registry,ref=...` is remote-cache composed with push: the export's sink is push's RegistryTarget,
// and naming the root is a tag PUT through it.
describe.runIf(havePeers('docker-registry', 'skopeo'))('cache export through push RegistryTarget', () => {
  it.each([
    ['manifest list', { ociMediatypes: false }, MediaType.dockerManifestList],
    ['OCI index', { imageManifest: false }, MediaType.ociIndex],
    ['image manifest (the default)', {}, MediaType.ociManifest],
  ] as const)(
    'as a %s, read back by skopeo',
    async (_name, options, rootType) => {
      const registry = await startRegistry();
      try {
        const src = createMemoryStore();
        const bytes = new TextEncoder().encode(`a layer for ${rootType}`);
        const layer = await writeBlob(src, bytes, { mediaType: MediaType.ociLayerGzip });
        const chains = new CacheChains();
        const from = chains.add(digestOf('FROM scratch'));
        const step = chains.add(digestOf('COPY . /'));
        chains.link(from, step, { input: 0 });
        chains.addResult(
          step,
          { descriptors: [layer], provider: src },
          { createdAt: new Date('2024-01-01T00:00:00Z') },
        );

        const client = new RegistryClient(registry.host);
        const target = new RegistryTarget(client, 'cache/app');
        const { response, descriptor } = await exportCache(
          chains,
          {
            sink: target,
            name: async (root, rootBytes) =>
              void (await target.tag(root, 'buildcache', { bytes: rootBytes })),
          },
          { mode: 'max', ...options },
        );
        if (descriptor === undefined) throw new Error('export returned no root descriptor');
        expect(JSON.parse(response['cache.manifest'] ?? '{}')).toMatchObject({
          digest: descriptor.digest,
          mediaType: rootType,
        });

        const raw = (
          await run('skopeo', [
            'inspect',
            '--raw',
            '--tls-verify=false',
            `docker://${registry.host}/cache/app:buildcache`,
          ])
        ).stdout;
        expect(digestOf(raw)).toBe(descriptor.digest);
        expect(JSON.parse(raw).mediaType).toBe(rootType);
        client.close();
      } finally {
        await registry.stop();
      }
    },
    60_000,
  );
});
