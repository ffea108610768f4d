import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createMemoryStore } from '@lading/content-store';
import { type Descriptor, MediaType } from '@lading/digest';
import {
  type FaultProxy,
  havePeers,
  htpasswdAuthConfig,
  makeTempDir,
  type RunningRegistry,
  run,
  startFaultProxy,
  startRegistry,
} from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  listReferrers,
  pullImage,
  pushBlob,
  pushImage,
  RegistryClient,
  RegistryTarget,
  referrersTag,
} from '../src/index.js';
import { buildIndex, buildManifest, sha256, storeContents, TestStore } from './helpers.js';

const user = { username: 'pusher', password: 'pw-For-Tests-9' };

describe.runIf(havePeers('docker-registry', 'skopeo'))(
  'registry features (htpasswd registry behind a proxy)',
  () => {
    let registry: RunningRegistry;
    let proxy: FaultProxy;
    let auth: Awaited<ReturnType<typeof makeTempDir>>;
    beforeAll(async () => {
      auth = await makeTempDir('lading-push-feat-');
      registry = await startRegistry({ config: await htpasswdAuthConfig(auth.path, [user]) });
      proxy = await startFaultProxy({ host: '127.0.0.1', port: registry.port });
    });
    afterAll(async () => {
      await proxy?.stop();
      await registry?.stop();
      await auth?.cleanup();
    });
    const basic = `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`;

    it('writes nothing before beforeWrite resolves, and nothing at all when it rejects', async () => {
      const store = new TestStore();
      const img = buildManifest(store, { layers: 2 });
      const isWrite = (q: { method: string }) => ['POST', 'PUT', 'PATCH'].includes(q.method);
      proxy.requests.length = 0;
      let open!: () => void;
      const gate = new Promise<void>((r) => {
        open = r;
      });
      let called!: () => void;
      const reached = new Promise<void>((r) => {
        called = r;
      });
      const pushing = pushImage(store, img.manifest, `${proxy.host}/gate/held:v1`, {
        credentials: user,
        beforeWrite: () => {
          called();
          return gate;
        },
      });
      await reached;
      // reads went ahead (the blobs' HEADs), no write did
      expect(proxy.requests.some((q) => q.method === 'HEAD')).toBe(true);
      expect(proxy.requests.filter(isWrite)).toEqual([]);
      const openedAt = proxy.requests.length;
      open();
      const r = await pushing;
      expect(r.blobs.uploaded).toBe(3);
      expect(proxy.requests.slice(0, openedAt).filter(isWrite)).toEqual([]);
      expect(proxy.requests.slice(openedAt).filter(isWrite).length).toBeGreaterThanOrEqual(4);

      proxy.requests.length = 0;
      const other = buildManifest(store, { layers: 1 });
      const refused = new Error('keys did not unlock');
      await expect(
        pushImage(store, other.manifest, `${proxy.host}/gate/refused:v1`, {
          credentials: user,
          beforeWrite: () => Promise.reject(refused),
        }),
      ).rejects.toBe(refused);
      expect(proxy.requests.filter(isWrite)).toEqual([]);
      const head = await fetch(`http://${registry.host}/v2/gate/refused/manifests/v1`, {
        method: 'HEAD',
        headers: { authorization: basic },
      });
      expect(head.status).toBe(404);

      // an index whose blobs the registry has: its first write is a child manifest, held the same way
      const fresh = buildIndex(store, { layers: 1, platforms: [{ os: 'linux', architecture: 'riscv64' }] });
      for (const b of fresh.blobs)
        await pushImage(store, b, `${proxy.host}/gate/index@${b.digest}`, { credentials: user });
      proxy.requests.length = 0;
      await expect(
        pushImage(store, fresh.root, `${proxy.host}/gate/index:v1`, {
          credentials: user,
          beforeWrite: () => Promise.reject(refused),
        }),
      ).rejects.toBe(refused);
      expect(proxy.requests.filter(isWrite)).toEqual([]);
    });

    it('mounts blobs from another repository instead of uploading them', async () => {
      const store = new TestStore();
      const img = buildManifest(store, { layers: 3 });
      await pushImage(store, img.manifest, `${proxy.host}/mount/source:v1`, { credentials: user });
      proxy.requests.length = 0;
      const r = await pushImage(store, img.manifest, `${proxy.host}/mount/target:v1`, {
        credentials: user,
        mountFrom: ['mount/source'],
      });
      expect(r.blobs).toEqual({ exists: 0, mounted: 4, uploaded: 0 });
      expect(proxy.requests.filter((q) => q.method === 'POST' && q.path.includes('mount=')).length).toBe(4);
      expect(proxy.requests.some((q) => q.method === 'PUT' && q.path.includes('/blobs/'))).toBe(false);
      // a mount from a repository without the blob falls back to an upload
      const other = buildManifest(store, { layers: 1 });
      const r2 = await pushImage(store, other.manifest, `${proxy.host}/mount/target:v2`, {
        credentials: user,
        mountFrom: ['mount/empty'],
      });
      expect(r2.blobs.uploaded).toBe(2);
    });

    it('labels pulled blobs with their source, and a later push to another repository mounts them', async () => {
      const store = new TestStore();
      const img = buildManifest(store, { layers: 2 });
      await pushImage(store, img.manifest, `${proxy.host}/labels/origin:v1`, { credentials: user });
      const local = createMemoryStore();
      await pullImage(`${proxy.host}/labels/origin:v1`, local, { credentials: user });
      expect((await local.info(img.blobs[1]!.digest)).labels).toEqual({
        [`containerd.io/distribution.source.${proxy.host}`]: 'labels/origin',
      });
      const r = await pushImage(local, img.manifest, `${proxy.host}/labels/copy:v1`, { credentials: user });
      expect(r.blobs).toEqual({ exists: 0, mounted: 3, uploaded: 0 });
    });

    it('uploads in PATCH chunks with Content-Range when asked, and the registry has the right bytes', async () => {
      const store = new TestStore();
      const img = buildManifest(store, { layers: 1, layerBytes: 100_000 });
      const layer = img.blobs[1]!;
      proxy.requests.length = 0;
      const client = new RegistryClient(proxy.host, { credentials: user });
      try {
        const res = await pushBlob(
          client,
          'chunks/one',
          { descriptor: layer, open: () => store.read(layer) },
          { chunkSize: 16 * 1024 },
        );
        expect(res).toBe('uploaded');
      } finally {
        client.close();
      }
      const patches = proxy.requests.filter((q) => q.method === 'PATCH');
      expect(patches.length).toBe(Math.ceil(layer.size / (16 * 1024)));
      const got = await fetch(`${registry.url}/v2/chunks/one/blobs/${layer.digest}`, {
        headers: { authorization: basic },
      });
      expect(sha256(new Uint8Array(await got.arrayBuffer()))).toBe(layer.digest);
    });

    it('follows relative upload Locations, and works as a BlobSink for a children-first copy', async () => {
      const store = new TestStore();
      const img = buildManifest(store, { layers: 2 });
      proxy.setPolicy(() => ({ kind: 'relative-location' }));
      proxy.requests.length = 0;
      const client = new RegistryClient(proxy.host, { credentials: user });
      try {
        const target = new RegistryTarget(client, 'sink/app');
        const source = (d: Descriptor) => ({ descriptor: d, open: () => store.read(d) });
        expect(await target.has(img.manifest)).toBe(false);
        // what copyGraph does: children first, then the manifest, then a name
        expect(await Promise.all(img.blobs.map((b) => target.put(b, source(b))))).toEqual([
          'written',
          'written',
          'written',
        ]);
        expect(await target.put(img.manifest, source(img.manifest))).toBe('written');
        expect(await target.put(img.blobs[0]!, source(img.blobs[0]!))).toBe('exists');
        expect(await target.has(img.manifest)).toBe(true);
        expect(await target.tag(img.manifest, 'v1')).toBe(true);
        expect(await target.tag(img.manifest, 'v1')).toBe(false);
      } finally {
        client.close();
        proxy.setPolicy(() => ({ kind: 'pass' }));
      }
      // the registry did send Locations, and the proxy made them relative
      expect(
        proxy.requests.some((q) => q.method === 'PUT' && q.path.startsWith('/v2/sink/app/blobs/uploads/')),
      ).toBe(true);
      const raw = await fetch(`${registry.url}/v2/sink/app/manifests/v1`, {
        headers: { authorization: basic, accept: MediaType.ociManifest },
      });
      expect(sha256(new Uint8Array(await raw.arrayBuffer()))).toBe(img.manifest.digest);
    });

    it('uploads in chunks when the registry asks for a minimum chunk length (OCI-Chunk-Min-Length)', async () => {
      const store = new TestStore();
      const img = buildManifest(store, { layers: 1, layerBytes: 150_000 });
      proxy.setPolicy((req) =>
        req.method === 'POST'
          ? { kind: 'add-headers', headers: { 'OCI-Chunk-Min-Length': '40000' } }
          : { kind: 'pass' },
      );
      proxy.requests.length = 0;
      try {
        await pushImage(store, img.manifest, `${proxy.host}/chunks/asked:v1`, { credentials: user });
      } finally {
        proxy.setPolicy(() => ({ kind: 'pass' }));
      }
      const layer = img.blobs[1]!;
      expect(proxy.requests.filter((q) => q.method === 'PATCH').length).toBe(Math.ceil(layer.size / 40000));
      const back = createMemoryStore();
      await pullImage(`${registry.host}/chunks/asked:v1`, back, { credentials: user });
      expect(sha256((await storeContents(back)).get(layer.digest)!)).toBe(layer.digest);
    });

    it('never sends Authorization to another host on a redirect', async () => {
      const store = new TestStore();
      const img = buildManifest(store, { layers: 2 });
      await pushImage(store, img.manifest, `${proxy.host}/redirect/img:v1`, { credentials: user });
      // a second server (another port: another origin) serves blobs by fetching them itself
      const seenAuth: (string | undefined)[] = [];
      const other: Server = createServer((req, res) => {
        seenAuth.push(req.headers.authorization);
        const up = httpRequest(`${registry.url}${req.url}`, { headers: { authorization: basic } }, (ur) => {
          res.writeHead(ur.statusCode ?? 502, ur.headers);
          ur.pipe(res);
        });
        up.end();
      });
      await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
      const otherPort = (other.address() as AddressInfo).port;
      try {
        proxy.setPolicy((req) =>
          req.method === 'GET' && /\/blobs\/sha256:/.test(req.url ?? '')
            ? { kind: 'redirect', location: `http://127.0.0.1:${otherPort}${req.url}` }
            : { kind: 'pass' },
        );
        proxy.requests.length = 0;
        const back = createMemoryStore();
        await pullImage(`${proxy.host}/redirect/img:v1`, back, { credentials: user });
        const got = await storeContents(back);
        for (const b of img.blobs) expect(sha256(got.get(b.digest)!)).toBe(b.digest);
        expect(seenAuth.length).toBe(img.blobs.length);
        expect(seenAuth.every((a) => a === undefined)).toBe(true);
        // the registry itself did get credentials for the same requests
        const redirected = proxy.requests.filter((q) => q.status === 307);
        expect(redirected.length).toBe(img.blobs.length);
        expect(redirected.every((q) => q.authorization)).toBe(true);
      } finally {
        proxy.setPolicy(() => ({ kind: 'pass' }));
        other.closeAllConnections();
        await new Promise<void>((r) => other.close(() => r()));
      }
    });

    it('lists a referrer under the tag-schema fallback when the registry has no referrers API', async () => {
      const store = new TestStore();
      const img = buildManifest(store, { layers: 1 });
      await pushImage(store, img.manifest, `${proxy.host}/refs/app:v1`, { credentials: user });
      const empty = store.add(new TextEncoder().encode('{}'), MediaType.ociEmpty);
      const sig = store.addJson(
        {
          schemaVersion: 2,
          mediaType: MediaType.ociManifest,
          artifactType: 'application/vnd.example.signature',
          config: empty,
          layers: [empty],
          subject: {
            mediaType: img.manifest.mediaType,
            digest: img.manifest.digest,
            size: img.manifest.size,
          },
          annotations: { 'org.example.note': 'hello' },
        },
        MediaType.ociManifest,
      );
      await pushImage(store, sig, `${proxy.host}/refs/app`, { credentials: user, byDigest: true });
      const client = new RegistryClient(proxy.host, { credentials: user });
      try {
        const refs = await listReferrers(client, 'refs/app', img.manifest.digest);
        expect(refs).toEqual([
          {
            mediaType: MediaType.ociManifest,
            digest: sig.digest,
            size: sig.size,
            artifactType: 'application/vnd.example.signature',
            annotations: { 'org.example.note': 'hello' },
          },
        ]);
      } finally {
        client.close();
      }
      // independently: skopeo reads the fallback tag as an OCI index naming the signature
      const raw = await run('skopeo', [
        'inspect',
        '--raw',
        '--tls-verify=false',
        '--creds',
        `${user.username}:${user.password}`,
        `docker://${registry.host}/refs/app:${referrersTag(img.manifest.digest)}`,
      ]);
      const index = JSON.parse(raw.stdout) as { mediaType: string; manifests: { digest: string }[] };
      expect(index.mediaType).toBe(MediaType.ociIndex);
      expect(index.manifests.map((m) => m.digest)).toEqual([sig.digest]);
    });

    it('reads credentials from a Docker config.json and from a credential helper', async () => {
      await using dir = await makeTempDir('lading-push-creds-');
      const store = new TestStore();
      const img = buildManifest(store, { layers: 1 });
      // auths entry, keyed with a scheme the way docker login writes some hosts
      const dockerDir = join(dir.path, 'docker');
      await mkdir(dockerDir);
      await writeFile(
        join(dockerDir, 'config.json'),
        JSON.stringify({
          auths: {
            [`http://${proxy.host}`]: {
              auth: Buffer.from(`${user.username}:${user.password}`).toString('base64'),
            },
          },
        }),
      );
      const env = { HOME: dir.path, DOCKER_CONFIG: dockerDir, PATH: process.env.PATH };
      const a = await pushImage(store, img.manifest, `${proxy.host}/creds/a:v1`, { env });
      expect(a.tagged).toBe(true);
      // a credHelpers entry wins over auths: this helper answers with the right password, the auths entry is wrong
      const bin = join(dir.path, 'bin');
      await mkdir(bin);
      const helper = join(bin, 'docker-credential-lading-test');
      await writeFile(
        helper,
        `#!/bin/sh\nread server\necho "$server" > ${join(dir.path, 'asked')}\nprintf '{"ServerURL":"%s","Username":"${user.username}","Secret":"${user.password}"}' "$server"\n`,
      );
      await chmod(helper, 0o755);
      await writeFile(
        join(dockerDir, 'config.json'),
        JSON.stringify({
          auths: { [proxy.host]: { auth: Buffer.from(`${user.username}:wrong`).toString('base64') } },
          credHelpers: { [proxy.host]: 'lading-test' },
        }),
      );
      const b = await pushImage(store, img.manifest, `${proxy.host}/creds/b:v1`, {
        env: { ...env, PATH: `${bin}:${process.env.PATH}` },
      });
      expect(b.tagged).toBe(true);
    });
  },
);
