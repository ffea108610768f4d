import { type Ingester, writeBlob } from '@lading/content-store';
import { type Descriptor, layerCompression, layerMediaType, MediaType } from '@lading/digest';
import {
  clampToEpoch,
  emptyImageConfigBytes,
  encodeImageConfig,
  normalizeLayersAndHistory,
  parseHistoryFromConfig,
  parseImageConfig,
  patchImageConfig,
} from '@lading/image-config';
import type { ExportImage } from '../plugin/types.js';

export interface WriteImageOptions {
  /** OCI media types (default) or Docker's. */
  readonly oci?: boolean;
  /** SOURCE_DATE_EPOCH: the config's times this build set are clamped to it. */
  readonly epoch?: Date;
  /** History entries that belong to the base image (never clamped). */
  readonly baseHistoryLength?: number;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly onWarning?: (message: string) => void;
}

export interface WrittenImage {
  readonly manifest: Descriptor;
  readonly config: Descriptor;
  readonly configBytes: Uint8Array;
  readonly manifestBytes: Uint8Array;
}

/** The config an export writes: the given (or empty) config with diff IDs and history made to agree, then clamped. */
export function finalConfig(image: ExportImage, options: WriteImageOptions = {}): Uint8Array {
  const base = image.config ?? emptyImageConfigBytes();
  const diffIds = image.layers.map((l) => l.diffId);
  const normalized = normalizeLayersAndHistory(diffIds, parseHistoryFromConfig(base), image.layerMeta);
  for (const w of normalized.warnings) options.onWarning?.(w);
  const patched = patchImageConfig(base, normalized.diffIds, normalized.history, image.inlineCache);
  if (options.epoch === undefined) return patched;
  return encodeImageConfig(
    clampToEpoch(parseImageConfig(patched), options.epoch, {
      ...(options.baseHistoryLength !== undefined ? { baseHistoryLength: options.baseHistoryLength } : {}),
    }),
  );
}

/** Writes the config and an image manifest for `image` (whose layer blobs are already in `store`). */
export async function writeImage(
  store: Ingester,
  image: ExportImage,
  options: WriteImageOptions = {},
): Promise<WrittenImage> {
  const oci = options.oci ?? true;
  const configBytes = finalConfig(image, options);
  const config = await writeBlob(store, configBytes, {
    mediaType: oci ? MediaType.ociConfig : MediaType.dockerConfig,
  });
  const layers = image.layers.map((l) => {
    const compression = layerCompression(l.descriptor.mediaType) ?? 'gzip';
    return { ...l.descriptor, mediaType: layerMediaType(compression, { oci }) };
  });
  const manifestObject: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: oci ? MediaType.ociManifest : MediaType.dockerManifest,
    config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
    layers: layers.map((d) => ({
      mediaType: d.mediaType,
      digest: d.digest,
      size: d.size,
      ...(d.annotations && Object.keys(d.annotations).length > 0 ? { annotations: d.annotations } : {}),
    })),
  };
  if (options.annotations && Object.keys(options.annotations).length > 0) {
    manifestObject.annotations = options.annotations;
  }
  const manifestBytes = new TextEncoder().encode(JSON.stringify(manifestObject));
  const manifest = await writeBlob(store, manifestBytes, {
    mediaType: oci ? MediaType.ociManifest : MediaType.dockerManifest,
  });
  return { manifest, config, configBytes, manifestBytes };
}
