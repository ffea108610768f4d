import { createHash } from 'node:crypto';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createMemoryStore, type FullStore, readBlob, writeBlob } from '@lading/content-store';
import type { Descriptor } from '@lading/digest';
import {
  type FaultProxy,
  havePeers,
  htpasswdAuthConfig,
  makeTempDir,
  type RunningRegistry,
  run,
  startFaultProxy,
  startRegistry,
  startTlsRegistry,
  type TempDir,
  type TlsRegistry,
} from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseImageReference, type RemoteReference, readImage, writeImage } from '../src/transports/index.js';
import { ladingBuildah, lb } from './helpers.js';

const user = { username: 'pusher', password: 'pw-For-Transport-Tests-7' };
const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const enc = new TextEncoder();

describe.runIf(havePeers('docker-registry', 'skopeo'))(
  'docker:// with credentials, auth files and retries',
  () => {
    let tmp: TempDir;
    let registry: RunningRegistry;
    let proxy: FaultProxy;
    let store: FullStore;
    let manifest: Descriptor;
    let manifestBytes: Uint8Array;
    let policyPath: string;

    beforeAll(async () => {
      tmp = await makeTempDir('lading-transports-registry-');
      policyPath = join(tmp.path, 'policy.json');
      await writeFile(policyPath, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
      registry = await startRegistry({ config: await htpasswdAuthConfig(tmp.path, [user]) });
      proxy = await startFaultProxy({ host: '127.0.0.1', port: registry.port });
      // a small image made here: an (empty-tar) layer, a config naming its diffID, a manifest
      store = createMemoryStore();
      const layer = new Uint8Array(1024);
      const config = enc.encode(
        JSON.stringify({
          architecture: 'amd64',
          os: 'linux',
          rootfs: { type: 'layers', diff_ids: [sha256(layer)] },
        }),
      );
      const layerDesc = await writeBlob(store, layer, {
        mediaType: 'application/vnd.oci.image.layer.v1.tar',
      });
      const configDesc = await writeBlob(store, config, {
        mediaType: 'application/vnd.oci.image.config.v1+json',
      });
      manifestBytes = enc.encode(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: configDesc.mediaType, digest: configDesc.digest, size: configDesc.size },
          layers: [{ mediaType: layerDesc.mediaType, digest: layerDesc.digest, size: layerDesc.size }],
        }),
      );
      manifest = await writeBlob(store, manifestBytes, {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
      });
    });
    afterAll(async () => {
      await proxy?.stop();
      await registry?.stop();
      await tmp?.cleanup();
    });

    const dest = (repo: string) => parseImageReference(`docker://${proxy.host}/${repo}:1`) as RemoteReference;
    const inspect = async (repo: string) =>
      (
        await run('skopeo', [
          'inspect',
          '--raw',
          '--tls-verify=false',
          '--creds',
          `${user.username}:${user.password}`,
          `docker://${registry.host}/${repo}:1`,
        ])
      ).stdout;

    it('--creds USER:PASS pushes; skopeo reads the same manifest bytes', async () => {
      await writeImage(
        dest('creds/app'),
        { store, manifest },
        {
          policyPath,
          tlsVerify: false,
          creds: `${user.username}:${user.password}`,
        },
      );
      expect(await inspect('creds/app')).toBe(new TextDecoder().decode(manifestBytes));
      const into = createMemoryStore();
      const read = await readImage(dest('creds/app'), into, {
        policyPath,
        tlsVerify: false,
        creds: `${user.username}:${user.password}`,
      });
      expect(await readBlob(into, read.manifest)).toEqual(manifestBytes);
    });

    it('--authfile gives the credentials', async () => {
      const authFile = join(tmp.path, 'auth.json');
      const auth = Buffer.from(`${user.username}:${user.password}`).toString('base64');
      await writeFile(authFile, JSON.stringify({ auths: { [proxy.host]: { auth } } }));
      await writeImage(dest('authfile/app'), { store, manifest }, { policyPath, tlsVerify: false, authFile });
      expect(await inspect('authfile/app')).toBe(new TextDecoder().decode(manifestBytes));
    });

    it('wrong or missing credentials fail with a registry error that never shows the password', async () => {
      const wrong = 'not-The-Password-42';
      const empty = join(tmp.path, 'empty-auth.json');
      await writeFile(empty, '{}');
      let caught: unknown;
      try {
        await writeImage(
          dest('denied/app'),
          { store, manifest },
          {
            policyPath,
            tlsVerify: false,
            creds: `${user.username}:${wrong}`,
          },
        );
      } catch (e) {
        caught = e;
      }
      expect(caught).toMatchObject({ kind: 'registry' });
      expect(String((caught as Error).message)).not.toContain(wrong);
      expect(JSON.stringify(caught)).not.toContain(wrong);
      await expect(
        writeImage(
          dest('denied/app'),
          { store, manifest },
          { policyPath, tlsVerify: false, authFile: empty },
        ),
      ).rejects.toMatchObject({ kind: 'registry' });
      // a user without a password is refused before any request: lading never prompts
      await expect(
        writeImage(
          dest('denied/app'),
          { store, manifest },
          { policyPath, tlsVerify: false, creds: user.username },
        ),
      ).rejects.toMatchObject({ kind: 'option', code: 'CREDS_INVALID' });
    });

    it('--retry retries a failing registry; without retries the failure stands', async () => {
      const failFirstManifestPut = () => {
        let failed = false;
        proxy.setPolicy((req) => {
          if (!failed && req.method === 'PUT' && (req.url ?? '').includes('/manifests/')) {
            failed = true;
            return { kind: 'status', status: 503 };
          }
          return { kind: 'pass' };
        });
      };
      const creds = `${user.username}:${user.password}`;
      failFirstManifestPut();
      await expect(
        writeImage(
          dest('retry/none'),
          { store, manifest },
          { policyPath, tlsVerify: false, creds, retry: 0 },
        ),
      ).rejects.toMatchObject({ kind: 'registry' });
      failFirstManifestPut();
      await writeImage(
        dest('retry/some'),
        { store, manifest },
        {
          policyPath,
          tlsVerify: false,
          creds,
          retry: 2,
          retryDelayMs: 1,
        },
      );
      proxy.setPolicy(() => ({ kind: 'pass' }));
      expect(await inspect('retry/some')).toBe(new TextDecoder().decode(manifestBytes));
    });
  },
);

describe.runIf(havePeers('docker-registry', 'skopeo', 'openssl'))('push --cert-dir to a TLS registry', () => {
  let tmp: TempDir;
  let registry: TlsRegistry;
  beforeAll(async () => {
    tmp = await makeTempDir('lading-buildah-cert-dir-');
    registry = await startTlsRegistry();
  });
  afterAll(async () => {
    await registry?.stop();
    await tmp?.cleanup();
  });

  it('trusts the CA in --cert-dir (skopeo, given the same directory, reads the image), and refuses without it', async () => {
    const root = join(tmp.path, 'root');
    const certs = join(tmp.path, 'certs.d');
    await mkdir(certs);
    await copyFile(registry.certificate, join(certs, 'ca.crt'));
    const policy = join(tmp.path, 'policy.json');
    await writeFile(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
    const ctr = await lb(root, ['from', 'scratch']);
    await writeFile(join(tmp.path, 'hello.txt'), 'hello over TLS\n');
    await lb(root, ['copy', ctr, join(tmp.path, 'hello.txt'), '/hello.txt']);
    await lb(root, ['commit', '-q', ctr, 'tls-image']);
    const dest = `docker://${registry.host}/lading/tls:1`;

    const refused = await ladingBuildah(root, ['push', '--signature-policy', policy, 'tls-image', dest]);
    // a registry failure: lading's detailed exit code 5 (the helper asks for detailed codes)
    expect(refused.code).toBe(5);
    expect(refused.stderr).toMatch(/certificate/i);

    await lb(root, ['push', '--signature-policy', policy, '--cert-dir', certs, 'tls-image', dest]);
    const inspected = JSON.parse(
      (await run('skopeo', ['inspect', '--cert-dir', certs, '--raw', dest])).stdout,
    ) as { layers: unknown[] };
    expect(inspected.layers).toHaveLength(1);
  });
});
