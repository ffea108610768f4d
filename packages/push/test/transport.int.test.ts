import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createMemoryStore, readBlob } from '@lading/content-store';
import { MediaType } from '@lading/digest';
import {
  havePeers,
  makeTempDir,
  type RunningRegistry,
  run,
  selfSignedCertificate,
  startRegistry,
  startTlsRegistry,
  type TlsRegistry,
} from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgents, NetworkError, sendHttp } from '../src/http.js';
import { pullImage, pushImage, RegistryClient, readCertDir } from '../src/index.js';
import { isRawBody } from '../src/raw-http.js';
import { buildManifest, sha256, TestStore } from './helpers.js';

describe.runIf(havePeers('docker-registry', 'openssl'))('schemes and cancellation', () => {
  let tls: TlsRegistry;
  let plain: RunningRegistry;
  beforeAll(async () => {
    tls = await startTlsRegistry();
    plain = await startRegistry();
  });
  afterAll(async () => {
    await tls?.stop();
    await plain?.stop();
  });

  it('talks HTTPS to a TLS-only registry on localhost, and verifies its certificate unless insecure', async () => {
    const store = new TestStore();
    const img = buildManifest(store, { layers: 2 });
    const seen: string[] = [];
    const r = await pushImage(store, img.manifest, `${tls.host}/tls/app:v1`, {
      insecure: true,
      onRequest: (e) => seen.push(e.url),
    });
    expect(r.tagged).toBe(true);
    expect(seen.filter((u) => u.startsWith('https://')).length).toBeGreaterThan(3);
    // without insecure the self-signed certificate is refused
    const err = await pushImage(store, img.manifest, `${tls.host}/tls/app:v2`, {
      retry: { retries: 0 },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message)).toMatch(/certificate/i);
  });

  it('verifies the registry against a CA from a certificate directory (containers certs.d layout)', async () => {
    const certs = await makeTempDir('lading-certs-');
    try {
      // certs.d: `*.crt` are CAs; a README or other file is ignored.
      await copyFile(tls.certificate, join(certs.path, 'registry-ca.crt'));
      await writeFile(join(certs.path, 'README'), 'not a certificate');
      const store = new TestStore();
      const img = buildManifest(store, { layers: 1 });
      const r = await pushImage(store, img.manifest, `${tls.host}/tls/app:trusted`, {
        tls: readCertDir(certs.path),
        retry: { retries: 0 },
      });
      expect(r.tagged).toBe(true);
      // The same registry with another CA: refused, the certificate named in the error.
      await selfSignedCertificate({
        certificate: join(certs.path, 'registry-ca.crt'),
        key: join(certs.path, 'other.pem'),
        subject: '/CN=127.0.0.1',
        ipAddress: '127.0.0.1',
      });
      const err = await pushImage(store, img.manifest, `${tls.host}/tls/app:other-ca`, {
        tls: readCertDir(certs.path),
        retry: { retries: 0 },
      }).catch((e: unknown) => e);
      expect(String((err as Error).message)).toMatch(/certificate/i);
    } finally {
      await certs.cleanup();
    }
  });

  it('pulls blobs over HTTPS (the blob GET client) trusting a CA from a certificate directory, and no other', async () => {
    const certs = await makeTempDir('lading-certs-');
    try {
      await copyFile(tls.certificate, join(certs.path, 'registry-ca.crt'));
      const source = new TestStore();
      const img = buildManifest(source, { layers: 3, layerBytes: 300_000 });
      await pushImage(source, img.manifest, `${tls.host}/tls/pull:v1`, { insecure: true });
      const seen: string[] = [];
      const back = createMemoryStore();
      await pullImage(`${tls.host}/tls/pull:v1`, back, {
        tls: readCertDir(certs.path),
        retry: { retries: 0 },
        onRequest: (e) => seen.push(`${e.method} ${e.url}`),
      });
      for (const blob of img.blobs) {
        expect(sha256(await readBlob(back, blob))).toBe(blob.digest);
        expect(seen).toContain(`GET https://${tls.host}/v2/tls/pull/blobs/${blob.digest}`);
      }
      // over TLS too, the body is the blob client's (pumped into the caller's buffers), not node:http's
      const trusted = createAgents({ tls: readCertDir(certs.path) });
      try {
        const layer = img.blobs[1] as (typeof img.blobs)[number];
        const res = await sendHttp(
          {
            method: 'GET',
            url: new URL(`https://${tls.host}/v2/tls/pull/blobs/${layer.digest}`),
            headers: {},
            rawBody: true,
          },
          trusted,
        );
        expect(res.status).toBe(200);
        if (!isRawBody(res.body)) throw new Error('the blob GET went over node:http');
        const parts: Buffer[] = [];
        await res.body.pump([Buffer.alloc(16384), Buffer.alloc(16384)], async (c) => {
          parts.push(Buffer.from(c));
        });
        expect(sha256(Buffer.concat(parts))).toBe(layer.digest);
      } finally {
        trusted.destroy();
      }
      // the blob client checks the certificate itself: without the CA, refused, and not worth a retry
      const agents = createAgents();
      try {
        const err = await sendHttp(
          {
            method: 'GET',
            url: new URL(`https://${tls.host}/v2/tls/pull/blobs/${img.blobs[1]?.digest}`),
            headers: {},
            rawBody: true,
          },
          agents,
        ).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(NetworkError);
        expect((err as NetworkError).retryable).toBe(false);
        expect((err as NetworkError).message).toMatch(/certificate/i);
      } finally {
        agents.destroy();
      }
    } finally {
      await certs.cleanup();
    }
  });

  it('uses plain HTTP on localhost without a TLS attempt per request', async () => {
    const store = new TestStore();
    const img = buildManifest(store, { layers: 1 });
    const seen: string[] = [];
    await pushImage(store, img.manifest, `${plain.host}/plain/app:v1`, {
      onRequest: (e) => seen.push(e.url),
    });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((u) => u.startsWith('http://'))).toBe(true);
  });

  it('stops a push when the signal aborts, and the registry holds no partial blob under the digest', async () => {
    const store = new TestStore();
    const img = buildManifest(store, { layers: 1, layerBytes: 8 * 1024 * 1024 });
    const layer = img.blobs[1]!;
    const ac = new AbortController();
    const client = new RegistryClient(plain.host);
    try {
      const p = pushImage(store, img.manifest, `${plain.host}/abort/app:v1`, {
        client,
        signal: ac.signal,
        onProgress: (e) => {
          if (e.state === 'uploading' && e.digest === layer.digest && e.bytes > 0)
            ac.abort(new Error('user stop'));
        },
      });
      await expect(p).rejects.toThrow('user stop');
      expect(ac.signal.aborted).toBe(true);
      const head = await fetch(`${plain.url}/v2/abort/app/blobs/${layer.digest}`, { method: 'HEAD' });
      expect(head.status).toBe(404);
      const tag = await fetch(`${plain.url}/v2/abort/app/manifests/v1`, { method: 'HEAD' });
      expect(tag.status).toBe(404);
    } finally {
      client.close();
    }
  });
  it('fails once, with the source error, when a blob cannot be read (no retry of what cannot succeed)', async () => {
    const store = new TestStore();
    const img = buildManifest(store, { layers: 1 });
    store.blobs.delete(img.blobs[1]!.digest);
    const posts: string[] = [];
    const err = await pushImage(store, img.manifest, `${plain.host}/broken/app`, {
      concurrency: 1,
      onRequest: (e) => {
        if (e.method === 'POST') posts.push(e.url);
      },
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'not-found' });
    // one upload session for the config, one for the unreadable layer: no second attempt
    expect(posts).toHaveLength(2);
  });

  it('pushes a name without a tag as :latest, and refuses a reference naming another digest', async () => {
    const store = new TestStore();
    const img = buildManifest(store, { layers: 1 });
    await pushImage(store, img.manifest, `${plain.host}/deflt/app`);
    const head = await fetch(`${plain.url}/v2/deflt/app/manifests/latest`, {
      method: 'HEAD',
      headers: { accept: img.manifest.mediaType },
    });
    expect(head.headers.get('docker-content-digest')).toBe(img.manifest.digest);
    const other = `sha256:${'0'.repeat(64)}`;
    await expect(pushImage(store, img.manifest, `${plain.host}/deflt/app@${other}`)).rejects.toMatchObject({
      kind: 'invalid-input',
    });
  });
  it.runIf(havePeers('skopeo'))('pushes Docker schema 2 media types as they are', async () => {
    const store = new TestStore();
    const img = buildManifest(store, { layers: 2, oci: false });
    await pushImage(store, img.manifest, `${plain.host}/docker/app:v1`);
    const raw = await run('skopeo', [
      'inspect',
      '--raw',
      '--tls-verify=false',
      `docker://${plain.host}/docker/app:v1`,
    ]);
    expect(sha256(new TextEncoder().encode(raw.stdout))).toBe(img.manifest.digest);
    expect((JSON.parse(raw.stdout) as { mediaType: string }).mediaType).toBe(MediaType.dockerManifest);
    const head = await fetch(`${plain.url}/v2/docker/app/manifests/v1`, {
      method: 'HEAD',
      headers: { accept: MediaType.dockerManifest },
    });
    expect(head.headers.get('content-type')).toBe(MediaType.dockerManifest);
  });
});
