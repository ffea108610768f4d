import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type FullStore,
  openLocalStore,
  overlayProvider,
  type Provider,
  readBlob,
  writeBlob,
} from '@lading/content-store';
import {
  type Compression,
  type Descriptor,
  defaultPlatform,
  formatPlatform,
  isIndexMediaType,
  isManifestMediaType,
  isNonDistributableMediaType,
  layerCompression,
  layerMediaType,
  NotFoundError,
  type Platform,
} from '@lading/digest';
import { compressStream, decompressStream } from '@lading/layer';
import {
  convertIndex,
  convertManifest,
  decodeIndex,
  decodeManifest,
  type Encoded,
  encodeIndex,
  encodeManifest,
  type ImageIndex,
  type ImageManifest,
  maxManifestBytes,
  selectPlatform,
} from '@lading/manifest';

export interface PrepareOptions {
  /** Media-type family to write; undefined keeps each manifest's own. */
  readonly format?: 'oci' | 'v2s2' | undefined;
  readonly all?: boolean | undefined;
  readonly platform?: Platform | undefined;
  /** Layers not already in this compression are recompressed; undefined keeps them as they are. */
  readonly compression?: Compression | undefined;
  /**
   * With `compression`: only uncompressed layers are compressed, compressed ones pass as they are (never
   * decompressed). containers/image's default for registries and OCI layouts.
   */
  readonly onlyUncompressed?: boolean | undefined;
  readonly compressionLevel?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ((message: string) => void) | undefined;
}

/** The image as it will be written: converted blobs in a scratch store over the source's blobs. */
export interface PreparedImage {
  readonly provider: Provider;
  readonly root: Descriptor;
  /** Removes the scratch store. */
  close(): Promise<void>;
}

/** Scratch space for blobs made during a transfer, on disk (a recompressed layer can be large), made on first use. */
class Scratch {
  #dir: string | undefined;
  #store: FullStore | undefined;
  #opening: Promise<FullStore> | undefined;
  // Layers are recompressed concurrently: every caller must share the one store the first call opens.
  store(): Promise<FullStore> {
    this.#opening ??= (async () => {
      this.#dir = await mkdtemp(join(tmpdir(), 'lading-transfer-'));
      this.#store = await openLocalStore(this.#dir);
      return this.#store;
    })();
    return this.#opening;
  }
  get provider(): Provider {
    return {
      read: (ref, options) => {
        if (this.#store === undefined)
          throw new NotFoundError('BLOB_NOT_FOUND', `blob ${ref.digest} not found`);
        return this.#store.read(ref, options);
      },
      info: async (digest) => {
        if (this.#store === undefined) throw new NotFoundError('BLOB_NOT_FOUND', `blob ${digest} not found`);
        return this.#store.info(digest);
      },
    };
  }
  async close(): Promise<void> {
    if (this.#dir !== undefined) await rm(this.#dir, { recursive: true, force: true });
  }
}

function isOciFamily(mediaType: string | undefined): boolean {
  return mediaType === undefined || mediaType.startsWith('application/vnd.oci.');
}

/**
 * Picks what is written (the whole index with `all`, else the manifest for `platform`), then recompresses layers and
 * converts media types as asked. Nothing is re-encoded when nothing changes: the source's bytes and digests stay.
 */
export async function prepareImage(
  provider: Provider,
  manifest: Descriptor,
  options: PrepareOptions,
): Promise<PreparedImage> {
  const scratch = new Scratch();
  const recompressed = new Map<string, Promise<Descriptor>>();
  const { signal } = options;
  const read = (d: Descriptor) =>
    readBlob(provider, d, signal ? { maxBytes: maxManifestBytes, signal } : { maxBytes: maxManifestBytes });

  const recompress = (layer: Descriptor, oci: boolean): Promise<Descriptor> => {
    const want = options.compression as Compression;
    const key = `${layer.digest} ${oci}`;
    let p = recompressed.get(key);
    if (p === undefined) {
      p = (async () => {
        options.onProgress?.(`Recompressing blob ${layer.digest} (${want})`);
        const store = await scratch.store();
        const { stream } = await decompressStream(provider.read(layer, signal ? { signal } : {}));
        const out = compressStream(stream, {
          compression: want,
          ...(options.compressionLevel !== undefined ? { level: options.compressionLevel } : {}),
          ...(signal ? { signal } : {}),
        });
        const writer = await store.writer({
          ref: `recompress-${randomUUID()}`,
          ...(signal ? { signal } : {}),
        });
        try {
          for await (const chunk of out) await writer.write(chunk);
          const done = await writer.commit();
          const mediaType = layerMediaType(want, { oci });
          const { annotations } = layer;
          return { mediaType, digest: done.digest, size: done.size, ...(annotations ? { annotations } : {}) };
        } catch (error) {
          await writer.abort().catch(() => {});
          throw error;
        }
      })();
      recompressed.set(key, p);
    }
    return p;
  };

  const saveJson = async (encoded: Encoded<ImageManifest> | Encoded<ImageIndex>): Promise<Descriptor> => {
    await writeBlob(await scratch.store(), encoded.bytes, { mediaType: encoded.descriptor.mediaType });
    return encoded.descriptor;
  };

  const prepareManifest = async (desc: Descriptor): Promise<Descriptor> => {
    const decoded = decodeManifest(await read(desc), { expected: desc });
    let current = decoded;
    const oci = isOciFamily(decoded.value.mediaType ?? desc.mediaType);
    if (options.compression !== undefined) {
      const layers = await Promise.all(
        decoded.value.layers.map((l) =>
          // A non-distributable layer keeps its media type; a foreign one (`isForeignLayer`) is one of them. An
          // ordinary layer that lists URLs is not foreign: it is recompressed like any other.
          isNonDistributableMediaType(l.mediaType) ||
          layerCompression(l.mediaType) === options.compression ||
          (options.onlyUncompressed === true && layerCompression(l.mediaType) !== 'uncompressed')
            ? l
            : recompress(l, oci),
        ),
      );
      if (layers.some((l, i) => l !== decoded.value.layers[i])) {
        current = encodeManifest({ ...decoded.value, layers });
      }
    }
    if (options.format !== undefined) {
      current = convertManifest(current, { oci: options.format === 'oci', dropAnnotations: true });
    }
    if (current === decoded) return desc;
    const written = await saveJson(current);
    return { ...desc, mediaType: written.mediaType, digest: written.digest, size: written.size };
  };

  const prepareIndex = async (desc: Descriptor): Promise<Descriptor> => {
    const decoded = decodeIndex(await read(desc), { expected: desc });
    const children = new Map<string, Descriptor>();
    for (const child of decoded.value.manifests) {
      if (!isManifestMediaType(child.mediaType)) continue;
      const next = await prepareManifest(child);
      if (next.digest !== child.digest) children.set(child.digest, next);
    }
    if (children.size === 0 && options.format === undefined) return desc;
    const oci =
      options.format === undefined
        ? isOciFamily(decoded.value.mediaType ?? desc.mediaType)
        : options.format === 'oci';
    let converted = convertIndex(decoded, { oci, dropAnnotations: true, children });
    if (converted === decoded && children.size > 0) {
      converted = encodeIndex({
        ...decoded.value,
        manifests: decoded.value.manifests.map((m) => {
          const r = children.get(m.digest);
          return r === undefined ? m : { ...m, mediaType: r.mediaType, digest: r.digest, size: r.size };
        }),
      });
    }
    if (converted === decoded) return desc;
    const written = await saveJson(converted);
    return { ...desc, mediaType: written.mediaType, digest: written.digest, size: written.size };
  };

  try {
    let root = manifest;
    if (isIndexMediaType(root.mediaType) && options.all !== true) {
      const index = decodeIndex(await read(root), { expected: root });
      const want = options.platform ?? defaultPlatform();
      const pick = selectPlatform(index.value, want);
      if (pick === undefined) {
        throw new NotFoundError(
          'PLATFORM_NOT_FOUND',
          `no image for ${formatPlatform(want)} in the list ${root.digest} (it has: ${index.value.manifests
            .map((m) => (m.platform ? formatPlatform(m.platform) : m.digest))
            .join(', ')}); choose one with --platform or copy all with --all`,
        );
      }
      root = pick;
    }
    const prepared = isIndexMediaType(root.mediaType)
      ? await prepareIndex(root)
      : await prepareManifest(root);
    const { platform: _p, annotations: _a, ...bare } = prepared;
    return {
      provider: overlayProvider(scratch.provider, provider),
      root: bare,
      close: () => scratch.close(),
    };
  } catch (error) {
    await scratch.close();
    throw error;
  }
}
