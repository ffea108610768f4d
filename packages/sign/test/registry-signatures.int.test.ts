// cosign signatures in a registry: the `.sig` tag on a real Distribution 2.8 (which has no referrers API), and an
// OCI 1.1 referrer where the registry answers the referrers API (played by a hostile registry in front of the real
// one: it lists the manifests with a `subject` that went through it; everything else is the real registry's).
import { createHash } from 'node:crypto';
import { type Descriptor, type Digest, MediaType } from '@lading/digest';
import { pushBlob, putManifest, RegistryClient } from '@lading/push';
import { havePeers, startHostileRegistry, startRegistry } from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cosignSigner,
  generateCosignKeyPair,
  readCosignPrivateKey,
  readRegistrySignatures,
  type SigstoreSignature,
  writeRegistrySignatures,
} from '../src/index.js';

const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;

async function pushSmallImage(client: RegistryClient, repo: string, tag: string): Promise<Descriptor> {
  const config = new TextEncoder().encode(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Labels: { tag } },
      rootfs: { type: 'layers', diff_ids: [] },
    }),
  );
  const configDesc = { mediaType: MediaType.ociConfig, digest: sha256(config), size: config.byteLength };
  await pushBlob(client, repo, {
    descriptor: configDesc,
    async *open() {
      yield config;
    },
  });
  const manifest = new TextEncoder().encode(
    JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: configDesc, layers: [] }),
  );
  const descriptor = {
    mediaType: MediaType.ociManifest,
    digest: sha256(manifest),
    size: manifest.byteLength,
  };
  await putManifest(client, repo, tag, { descriptor, bytes: manifest });
  return descriptor;
}

describe.runIf(havePeers('docker-registry'))('cosign signatures in a registry', () => {
  let registry: Awaited<ReturnType<typeof startRegistry>>;
  let front: Awaited<ReturnType<typeof startHostileRegistry>>;
  let signature: SigstoreSignature;
  const referrers: Descriptor[] = [];

  beforeAll(async () => {
    registry = await startRegistry();
    front = await startHostileRegistry({ upstream: { host: '127.0.0.1', port: registry.port } });
    const pair = await generateCosignKeyPair('');
    const signer = cosignSigner(await readCosignPrivateKey(pair.privateKeyPem, { passphrase: '' }));
    signature = (await signer.sign(
      sha256(new Uint8Array([1])),
      `${registry.host}/app:1`,
    )) as SigstoreSignature;
  }, 120_000);
  afterAll(async () => {
    await front?.stop();
    await registry?.stop();
  });

  it('Distribution 2.8: the .sig tag only, read back; a second write adds nothing twice', async () => {
    const client = new RegistryClient(registry.host);
    try {
      const subject = await pushSmallImage(client, 'app', '1');
      const sig = { ...signature };
      const first = await writeRegistrySignatures(client, 'app', subject, [sig]);
      expect(first.tag).toBe(`sha256-${subject.digest.slice(7)}.sig`);
      expect(first.referrer).toBeUndefined();
      expect(await writeRegistrySignatures(client, 'app', subject, [sig])).toEqual({});
      const back = await readRegistrySignatures(client, 'app', subject.digest);
      expect(back).toHaveLength(1);
      expect(Buffer.from((back[0] as SigstoreSignature).payload).equals(Buffer.from(sig.payload))).toBe(true);
    } finally {
      client.close();
    }
  });

  it('with the referrers API: a referrer with subject and artifactType as well, read back once', async () => {
    front.on('GET', /^\/v2\/app\/referrers\//, (x) => {
      const subject = x.entry.path.split('/').pop();
      const manifests = referrers
        .filter((r) => r.annotations?.subject === subject)
        .map(({ annotations: _a, ...d }) => d);
      x.json(
        200,
        { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests },
        { 'content-type': MediaType.ociIndex },
      );
    });
    front.on('PUT', /^\/v2\/app\/manifests\/sha256:/, async (x) => {
      const body = await x.body();
      const m = JSON.parse(body.toString('utf8'));
      if (m.subject) {
        referrers.push({
          mediaType: m.mediaType,
          digest: sha256(body),
          size: body.byteLength,
          artifactType: m.artifactType,
          annotations: { subject: m.subject.digest },
        });
      }
      // the body was read here: hand it on ourselves
      const res = await fetch(`${registry.url}${x.entry.path}`, {
        method: 'PUT',
        headers: { 'content-type': m.mediaType },
        body,
      });
      x.send(res.status, { 'docker-content-digest': res.headers.get('docker-content-digest') ?? '' });
    });
    const client = new RegistryClient(front.host);
    try {
      const subject = await pushSmallImage(client, 'app', '2');
      const written = await writeRegistrySignatures(client, 'app', subject, [signature]);
      expect(written.tag).toBeDefined();
      expect(written.referrer).toBeDefined();
      // the referrer, read from the real registry by hand
      const raw = await fetch(`${registry.url}/v2/app/manifests/${written.referrer?.digest}`, {
        headers: { accept: MediaType.ociManifest },
      });
      const manifest = (await raw.json()) as {
        artifactType: string;
        subject: Descriptor;
        config: Descriptor;
        layers: Descriptor[];
      };
      expect(manifest.artifactType).toBe('application/vnd.dev.cosign.artifact.sig.v1+json');
      expect(manifest.subject.digest).toBe(subject.digest);
      expect(manifest.config).toEqual({
        mediaType: 'application/vnd.oci.empty.v1+json',
        digest: sha256(new TextEncoder().encode('{}')),
        size: 2,
      });
      expect(manifest.layers[0]?.annotations?.['dev.cosignproject.cosign/signature']).toBe(
        signature.annotations['dev.cosignproject.cosign/signature'],
      );
      // read through both the tag and the referrers API, the same signature counts once
      const back = await readRegistrySignatures(client, 'app', subject.digest);
      expect(back).toHaveLength(1);
      expect(front.requests.some((r) => r.method === 'GET' && r.path.startsWith('/v2/app/referrers/'))).toBe(
        true,
      );
    } finally {
      client.close();
    }
  });
});
