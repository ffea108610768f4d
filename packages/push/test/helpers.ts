// Test helpers: TestStore builds images in memory with digests computed here (sha256 of the exact bytes) and serves
// them as a Provider; pulls land in the real @lading/content-store stores.
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type Info, type Manager, type Provider, readBlob } from '@lading/content-store';
import { type Descriptor, type Digest, MediaType, NotFoundError, type Platform } from '@lading/digest';

export function sha256(bytes: Uint8Array): Digest {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}` as Digest;
}

export class TestStore implements Provider {
  readonly blobs = new Map<string, Uint8Array>();

  add(bytes: Uint8Array, mediaType: string, extra: Partial<Descriptor> = {}): Descriptor {
    const digest = sha256(bytes);
    this.blobs.set(digest, bytes);
    return { mediaType, digest, size: bytes.byteLength, ...extra };
  }

  addJson(value: unknown, mediaType: string, extra: Partial<Descriptor> = {}): Descriptor {
    return this.add(new TextEncoder().encode(JSON.stringify(value)), mediaType, extra);
  }

  async *read(ref: { digest: Digest }): AsyncIterable<Uint8Array> {
    const b = this.blobs.get(ref.digest);
    if (!b) throw new NotFoundError('BLOB_NOT_FOUND', `no ${ref.digest}`);
    // several chunks, like a file read
    for (let i = 0; i < b.byteLength; i += 16 * 1024)
      yield b.subarray(i, Math.min(b.byteLength, i + 16 * 1024));
    if (b.byteLength === 0) return;
  }

  async info(digest: Digest): Promise<Info> {
    const b = this.blobs.get(digest);
    if (!b) throw new NotFoundError('BLOB_NOT_FOUND', `no ${digest}`);
    return {
      digest,
      size: b.byteLength,
      createdAt: new Date(0),
      updatedAt: new Date(0),
      labels: {},
    };
  }
}

export interface BuiltImage {
  readonly root: Descriptor;
  readonly manifests: Descriptor[];
  readonly blobs: Descriptor[];
}

/** A single-platform image with gzip layers of random bytes and a config whose diff_ids are computed here. */
export function buildManifest(
  store: TestStore,
  options: { layers: number; layerBytes?: number; platform?: Platform; oci?: boolean },
): { manifest: Descriptor; blobs: Descriptor[] } {
  const oci = options.oci ?? true;
  const platform = options.platform ?? { os: 'linux', architecture: 'amd64' };
  const layers: Descriptor[] = [];
  const diffIds: string[] = [];
  for (let i = 0; i < options.layers; i++) {
    const raw = randomBytes(options.layerBytes ?? 32 * 1024);
    diffIds.push(sha256(raw));
    layers.push(
      store.add(gzipSync(raw, { level: 1 }), oci ? MediaType.ociLayerGzip : MediaType.dockerLayerGzip),
    );
  }
  const config = store.addJson(
    {
      architecture: platform.architecture,
      os: platform.os,
      config: {},
      rootfs: { type: 'layers', diff_ids: diffIds },
    },
    oci ? MediaType.ociConfig : MediaType.dockerConfig,
  );
  const mediaType = oci ? MediaType.ociManifest : MediaType.dockerManifest;
  const manifest = store.addJson({ schemaVersion: 2, mediaType, config, layers }, mediaType, { platform });
  return { manifest, blobs: [config, ...layers] };
}

export function buildIndex(
  store: TestStore,
  options: { layers: number; layerBytes?: number; platforms: Platform[] },
): BuiltImage {
  const manifests: Descriptor[] = [];
  const blobs: Descriptor[] = [];
  for (const platform of options.platforms) {
    const m = buildManifest(store, {
      layers: options.layers,
      platform,
      ...(options.layerBytes ? { layerBytes: options.layerBytes } : {}),
    });
    manifests.push(m.manifest);
    blobs.push(...m.blobs);
  }
  const root = store.addJson(
    { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests },
    MediaType.ociIndex,
  );
  return { root, manifests, blobs };
}

/** Reads a blob of an OCI layout on disk (as skopeo wrote it). */
export async function readLayoutBlob(dir: string, digest: string): Promise<Uint8Array> {
  const [alg, hex] = digest.split(':') as [string, string];
  return new Uint8Array(await readFile(join(dir, 'blobs', alg, hex)));
}

/** Every blob of a store, read back whole (verified by readBlob). */
export async function storeContents(
  store: Provider & Pick<Manager, 'walk'>,
): Promise<Map<string, Uint8Array>> {
  const digests: Digest[] = [];
  await store.walk((info) => {
    digests.push(info.digest);
  });
  const out = new Map<string, Uint8Array>();
  for (const d of digests.sort()) out.set(d, await readBlob(store, { digest: d }, { maxBytes: 1 << 30 }));
  return out;
}
