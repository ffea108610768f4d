// Test doubles for the content store (the real one is being written in packages/content-store): a memory
// Provider+Ingester, and a reader for OCI layouts written by skopeo. Only what the tests need.
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Info, Ingester, IngestStatus, Provider, Writer } from '@lading/content-store';
import { type Descriptor, type Digest, MediaType, NotFoundError, type Platform } from '@lading/digest';

export function sha256(bytes: Uint8Array): Digest {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}` as Digest;
}

export class TestStore implements Provider, Ingester {
  readonly blobs = new Map<string, Uint8Array>();
  readonly labels = new Map<string, Record<string, string>>();

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
      labels: this.labels.get(digest) ?? {},
    };
  }

  async writer(options: { ref: string; expected?: { digest?: Digest; size?: number } }): Promise<Writer> {
    const parts: Uint8Array[] = [];
    const started = new Date();
    const status = async (): Promise<IngestStatus> => ({
      ref: options.ref,
      offset: parts.reduce((n, p) => n + p.byteLength, 0),
      startedAt: started,
      updatedAt: new Date(),
    });
    return {
      ref: options.ref,
      write: async (chunk) => {
        parts.push(new Uint8Array(chunk));
      },
      status,
      commit: async (expected, commitOptions) => {
        const bytes = new Uint8Array(Buffer.concat(parts));
        const digest = sha256(bytes);
        const want = expected?.digest ?? options.expected?.digest;
        if (want && want !== digest) throw new Error(`digest mismatch ${digest} != ${want}`);
        this.blobs.set(digest, bytes);
        if (commitOptions?.labels)
          this.labels.set(digest, { ...this.labels.get(digest), ...commitOptions.labels });
        return { mediaType: 'application/octet-stream', digest, size: bytes.byteLength };
      },
      abort: async () => {
        parts.length = 0;
      },
      close: async () => {},
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
