// The images the transport tests write and read: made without lading's writers (GNU tar, gzip, JSON written here),
// in a memory store. The exported bindings are live: a test file calls useTransportFixture() and reads them in tests.
import { createHash } from 'node:crypto';
import { mkdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createMemoryStore, type FullStore, writeBlob } from '@lading/content-store';
import type { Descriptor, Digest } from '@lading/digest';
import { makeTempDir, run, type TempDir } from '@lading/testkit';
import { afterAll, beforeAll } from 'vitest';
import type { ImageSource } from '../src/transports/index.js';

export const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;
export const enc = new TextEncoder();

export interface BuiltImage {
  readonly manifest: Descriptor;
  readonly manifestBytes: Uint8Array;
  readonly config: Descriptor;
  readonly diffId: Digest;
  readonly layerTar: Uint8Array;
}

export let tmp: TempDir;
export let policyPath: string;

/**
 * A one-layer image made without lading's writers: GNU tar and gzip make the layer, the test hashes it, the config
 * and manifest are JSON written here. Everything goes into `store` as plain blobs.
 */
export async function buildImage(store: FullStore, name: string, arch: string): Promise<BuiltImage> {
  const root = join(tmp.path, `tree-${name}-${arch}`);
  await mkdir(join(root, 'etc'), { recursive: true });
  await writeFile(join(root, 'etc', 'hello'), `hello from ${name} on ${arch}\n`);
  for (const p of [join(root, 'etc', 'hello'), join(root, 'etc'), root])
    await utimes(p, 1_000_000, 1_000_000);
  const tarPath = join(tmp.path, `layer-${name}-${arch}.tar`);
  await run('tar', [
    '--sort=name',
    '--owner=0',
    '--group=0',
    '--numeric-owner',
    '-C',
    root,
    '-cf',
    tarPath,
    '.',
  ]);
  await run('gzip', ['-n', '-k', '-f', tarPath]);
  const layerTar = new Uint8Array(await readFile(tarPath));
  const gz = new Uint8Array(await readFile(`${tarPath}.gz`));
  const diffId = sha256(layerTar);
  const configBytes = enc.encode(
    JSON.stringify({
      architecture: arch,
      os: 'linux',
      config: { Env: ['PATH=/usr/bin'], Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: [diffId] },
      history: [{ created: '2024-01-01T00:00:00Z', created_by: `test ${name}` }],
    }),
  );
  const config = {
    mediaType: 'application/vnd.oci.image.config.v1+json',
    digest: sha256(configBytes),
    size: configBytes.byteLength,
  };
  const layer = {
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    digest: sha256(gz),
    size: gz.byteLength,
  };
  const manifestBytes = enc.encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config,
      layers: [layer],
    }),
  );
  await writeBlob(store, configBytes);
  await writeBlob(store, gz);
  await writeBlob(store, manifestBytes);
  return {
    manifest: {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: sha256(manifestBytes),
      size: manifestBytes.byteLength,
    },
    manifestBytes,
    config,
    diffId,
    layerTar,
  };
}

export let store: FullStore;
export let image: BuiltImage;
export let arm: BuiltImage;
export let index: { desc: Descriptor; bytes: Uint8Array };

export async function skopeo(...args: string[]): Promise<string> {
  return (await run('skopeo', ['--policy', policyPath, ...args])).stdout;
}

export function source(manifest: Descriptor = image.manifest): ImageSource {
  return { store, manifest };
}

export const opts = () => ({ policyPath, platform: { os: 'linux', architecture: 'amd64' } });

/** Builds the images into a memory store before the file's tests (the bindings above are live), removes tmp after. */
export function useTransportFixture(): void {
  beforeAll(async () => {
    tmp = await makeTempDir('lading-transports-');
    policyPath = join(tmp.path, 'policy.json');
    await writeFile(policyPath, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
    store = createMemoryStore();
    image = await buildImage(store, 'one', 'amd64');
    arm = await buildImage(store, 'one', 'arm64');
    const bytes = enc.encode(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          { ...image.manifest, platform: { architecture: 'amd64', os: 'linux' } },
          { ...arm.manifest, platform: { architecture: 'arm64', os: 'linux' } },
        ],
      }),
    );
    await writeBlob(store, bytes);
    index = {
      desc: {
        mediaType: 'application/vnd.oci.image.index.v1+json',
        digest: sha256(bytes),
        size: bytes.byteLength,
      },
      bytes,
    };
  });

  afterAll(async () => {
    await tmp?.cleanup();
  });
}
