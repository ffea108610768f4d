import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createMemoryStore, openLocalStore } from '@lading/content-store';
import { type Descriptor, MediaType } from '@lading/digest';
import {
  havePeers,
  htpasswdAuthConfig,
  makeTempDir,
  type RunningRegistry,
  run,
  startRegistry,
  startTokenServer,
  type TokenServer,
} from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pullImage, pushImage, RegistryClient, resolveImage } from '../src/index.js';
import { buildIndex, readLayoutBlob, sha256, storeContents, TestStore } from './helpers.js';

const user = { username: 'lading', password: 's3cret-Pa55word' };
const platforms = [
  { os: 'linux', architecture: 'amd64' },
  { os: 'linux', architecture: 'arm64', variant: 'v8' },
];

type Mode = 'anonymous' | 'basic' | 'token';

describe.runIf(havePeers('docker-registry', 'skopeo', 'openssl'))(
  'push and pull against Distribution',
  () => {
    for (const mode of ['anonymous', 'basic', 'token'] as const) {
      describe(mode, () => {
        let registry: RunningRegistry;
        let tokens: TokenServer | undefined;
        const authDir = makeTempDir('lading-push-auth-');
        beforeAll(async () => {
          let config: Record<string, unknown> = {};
          if (mode === 'basic') config = await htpasswdAuthConfig((await authDir).path, [user]);
          if (mode === 'token') {
            tokens = await startTokenServer({ users: [user] });
            config = tokens.registryConfig;
          }
          registry = await startRegistry({ config });
        });
        afterAll(async () => {
          await registry?.stop();
          await tokens?.stop();
          await (await authDir).cleanup();
        });

        const creds = (m: Mode) => (m === 'anonymous' ? {} : { credentials: user });
        const skopeoCreds = (m: Mode, flag: string) =>
          m === 'anonymous' ? [] : [flag, `${user.username}:${user.password}`];

        it('pushes a multi-platform image, pulls it back byte-identical, and skopeo agrees on every digest', async () => {
          const store = new TestStore();
          const image = buildIndex(store, { layers: 3, platforms });
          const ref = `${registry.host}/lading/multi:v1`;
          const events: string[] = [];
          const pushed = await pushImage(store, image.root, ref, {
            ...creds(mode),
            onProgress: (e) => {
              if (e.state !== 'uploading') events.push(`${e.digest} ${e.state}`);
            },
          });
          expect(pushed.tagged).toBe(true);
          expect(pushed.blobs.uploaded).toBe(image.blobs.length);
          expect(pushed.reference).toBe(`${registry.host}/lading/multi@${image.root.digest}`);
          expect(events).toHaveLength(image.blobs.length);

          // skopeo reads the tag and finds our exact index bytes
          const raw = await run('skopeo', [
            'inspect',
            '--raw',
            '--tls-verify=false',
            ...skopeoCreds(mode, '--creds'),
            `docker://${ref}`,
          ]);
          expect(sha256(new TextEncoder().encode(raw.stdout))).toBe(image.root.digest);
          // and each platform's manifest with its layers
          for (const m of image.manifests) {
            const info = JSON.parse(
              (
                await run('skopeo', [
                  'inspect',
                  '--tls-verify=false',
                  ...skopeoCreds(mode, '--creds'),
                  `docker://${registry.host}/lading/multi@${m.digest}`,
                ])
              ).stdout,
            ) as { Digest: string; Layers: string[] };
            expect(info.Digest).toBe(m.digest);
            const manifest = JSON.parse(Buffer.from(store.blobs.get(m.digest)!).toString()) as {
              layers: Descriptor[];
            };
            expect(info.Layers).toEqual(manifest.layers.map((l) => l.digest));
          }

          // skopeo copy to an OCI layout: every blob it wrote has our bytes
          await using out = await makeTempDir('lading-push-skopeo-');
          const layout = join(out.path, 'layout');
          await run('skopeo', [
            'copy',
            '--all',
            '--src-tls-verify=false',
            ...skopeoCreds(mode, '--src-creds'),
            `docker://${ref}`,
            `oci:${layout}:v1`,
          ]);
          const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as {
            manifests: Descriptor[];
          };
          expect(index.manifests[0]?.digest).toBe(image.root.digest);
          for (const d of [image.root, ...image.manifests, ...image.blobs]) {
            expect(sha256(await readLayoutBlob(layout, d.digest))).toBe(d.digest);
            expect(
              Buffer.from(await readLayoutBlob(layout, d.digest)).equals(
                Buffer.from(store.blobs.get(d.digest)!),
              ),
            ).toBe(true);
          }

          // and the layout skopeo wrote pushes back from a LocalStore as the same image
          const fromLayout = await openLocalStore(layout);
          const again = await pushImage(
            fromLayout,
            index.manifests[0]!,
            `${registry.host}/lading/again:v1`,
            creds(mode),
          );
          expect(again.descriptor.digest).toBe(image.root.digest);
          const rawAgain = await run('skopeo', [
            'inspect',
            '--raw',
            '--tls-verify=false',
            ...skopeoCreds(mode, '--creds'),
            `docker://${registry.host}/lading/again:v1`,
          ]);
          expect(sha256(new TextEncoder().encode(rawAgain.stdout))).toBe(image.root.digest);

          // an image skopeo pushed (from its layout) pulls into a memory store with the layout's bytes
          await run('skopeo', [
            'copy',
            '--all',
            '--dest-tls-verify=false',
            ...skopeoCreds(mode, '--dest-creds'),
            `oci:${layout}:v1`,
            `docker://${registry.host}/lading/bypeer:v1`,
          ]);
          const peerPulled = createMemoryStore();
          await pullImage(`${registry.host}/lading/bypeer:v1`, peerPulled, creds(mode));
          const peerBlobs = await storeContents(peerPulled);
          expect(peerBlobs.size).toBe(1 + image.manifests.length + image.blobs.length);
          for (const [d, bytes] of peerBlobs) {
            expect(Buffer.from(bytes).equals(Buffer.from(await readLayoutBlob(layout, d)))).toBe(true);
          }

          // pull everything back into an empty store: same bytes for every node of the graph
          await using backDir = await makeTempDir('lading-push-pull-');
          const back = await openLocalStore(backDir.path);
          const pulled = await pullImage(ref, back, creds(mode));
          expect(pulled.descriptor.digest).toBe(image.root.digest);
          expect(pulled.descriptor.mediaType).toBe(MediaType.ociIndex);
          expect(pulled.blobs.downloaded).toBe(image.blobs.length);
          const pulledBlobs = await storeContents(back);
          expect([...pulledBlobs.keys()]).toEqual([...store.blobs.keys()].sort());
          for (const [d, bytes] of pulledBlobs)
            expect(Buffer.from(bytes).equals(Buffer.from(store.blobs.get(d)!))).toBe(true);

          // platform selection fetches one manifest's blobs only
          const arm = createMemoryStore();
          const one = await pullImage(ref, arm, { ...creds(mode), platform: 'linux/arm64' });
          expect(one.manifest?.digest).toBe(image.manifests[1]?.digest);
          expect((await storeContents(arm)).size).toBe(1 + 1 + 4);

          if (mode === 'token') {
            // the push asked for one token covering pull and push on the repository
            expect(
              tokens?.requests.some(
                (r) => r.scopes.includes('repository:lading/multi:pull,push') && r.user === 'lading',
              ),
            ).toBe(true);
          }
        });

        it.runIf(mode !== 'anonymous')(
          'refuses bad credentials with a typed error that does not show them',
          async () => {
            const store = new TestStore();
            const image = buildIndex(store, { layers: 1, platforms: [platforms[0]!] });
            const wrong = { username: 'lading', password: 'not-the-Password-42' };
            const err = await pushImage(store, image.root, `${registry.host}/lading/denied:v1`, {
              credentials: wrong,
            }).catch((e: unknown) => e);
            expect(err).toMatchObject({ name: 'RegistryError', kind: 'registry' });
            expect(['UNAUTHORIZED', 'DENIED']).toContain((err as { code: string }).code);
            const shown = `${(err as Error).message} ${JSON.stringify(err)} ${(err as Error).stack}`;
            expect(shown).not.toContain(wrong.password);
            expect(shown).not.toContain(
              Buffer.from(`${wrong.username}:${wrong.password}`).toString('base64'),
            );
          },
        );

        it.runIf(mode === 'token')('asks one token for push and the mount source, and mounts', async () => {
          const store = new TestStore();
          const image = buildIndex(store, { layers: 2, platforms: [platforms[0]!] });
          await pushImage(store, image.root, `${registry.host}/team/base:v1`, creds(mode));
          const r = await pushImage(store, image.root, `${registry.host}/team/derived:v1`, {
            ...creds(mode),
            mountFrom: ['team/base'],
          });
          expect(r.blobs).toEqual({ exists: 0, mounted: 3, uploaded: 0 });
          expect(
            tokens?.requests.some(
              (q) =>
                q.scopes.includes('repository:team/derived:pull,push') &&
                q.scopes.includes('repository:team/base:pull'),
            ),
          ).toBe(true);
        });

        it('resolves tags and digests, and reports a missing tag as not found', async () => {
          const store = new TestStore();
          const image = buildIndex(store, { layers: 1, platforms: [platforms[0]!] });
          const client = new RegistryClient(registry.host, creds(mode));
          try {
            await pushImage(store, image.root, `${registry.host}/lading/resolve:a`, { client });
            const byTag = await resolveImage(`${registry.host}/lading/resolve:a`, { client });
            expect(byTag).toEqual({
              mediaType: MediaType.ociIndex,
              digest: image.root.digest,
              size: image.root.size,
            });
            const byDigest = await resolveImage(
              `${registry.host}/lading/resolve@${image.manifests[0]!.digest}`,
              { client },
            );
            expect(byDigest.digest).toBe(image.manifests[0]!.digest);
            await expect(
              resolveImage(`${registry.host}/lading/resolve:missing`, { client }),
            ).rejects.toMatchObject({
              kind: 'not-found',
            });
          } finally {
            client.close();
          }
        });
      });
    }
  },
);

describe.runIf(havePeers('docker-registry', 'openssl'))('bearer tokens', () => {
  it('are cached per scope set and fetched again once they expire', async () => {
    const tokens = await startTokenServer({ users: [user], expiresIn: 3 });
    const registry = await startRegistry({ config: tokens.registryConfig });
    const client = new RegistryClient(registry.host, { credentials: user });
    try {
      const store = new TestStore();
      const image = buildIndex(store, { layers: 2, platforms: [platforms[0]!] });
      await pushImage(store, image.root, `${registry.host}/tok/a:v1`, { client });
      const pushScope = (r: { scopes: readonly string[] }) => r.scopes.includes('repository:tok/a:pull,push');
      // one token served every request of the push (the blobs ran four at a time)
      expect(tokens.requests.filter(pushScope)).toHaveLength(1);
      await new Promise((r) => setTimeout(r, 3_000));
      await pushImage(store, image.root, `${registry.host}/tok/a:v1`, { client });
      expect(tokens.requests.filter(pushScope)).toHaveLength(2);
      expect(tokens.requests.every((r) => r.status === 200 && r.user === 'lading')).toBe(true);
    } finally {
      client.close();
      await registry.stop();
      await tokens.stop();
    }
  });
  it('fetch a new token when the registry refuses the one held (401 after a pull-only grant)', async () => {
    // the first token grants pull only: HEADs pass, the upload's POST gets 401 insufficient_scope
    let pushAsks = 0;
    const tokens = await startTokenServer({
      users: [user],
      limitActions: (_n, scopes) =>
        scopes.some((x) => x.endsWith(':pull,push')) && pushAsks++ === 0 ? ['pull'] : undefined,
    });
    const registry = await startRegistry({ config: tokens.registryConfig });
    try {
      const store = new TestStore();
      const image = buildIndex(store, { layers: 1, platforms: [platforms[0]!] });
      const r = await pushImage(store, image.root, `${registry.host}/tok/b:v1`, { credentials: user });
      expect(r.tagged).toBe(true);
      expect(tokens.requests.filter((q) => q.scopes.includes('repository:tok/b:pull,push'))).toHaveLength(2);
    } finally {
      await registry.stop();
      await tokens.stop();
    }
  });
});
