import { type Ingester, writeBlob } from '@lading/content-store';
import {
  type Descriptor,
  formatPlatform,
  InvalidInputError,
  layerCompression,
  layerMediaType,
  MediaType,
  OptionError,
  type Platform,
  parsePlatform,
} from '@lading/digest';
import {
  clampCreatedLabel,
  emptyImageConfigBytes,
  normalizeLayersAndHistory,
  parseHistoryFromConfig,
  patchImageConfig,
} from '@lading/image-config';
import { type AnnotationGroups, annotationsFor, checkAnnotations } from '../exporters/annotations.js';
import { MetadataKey } from '../plugin/keys.js';
import type { ExportImage, ExportSource } from '../plugin/types.js';
import { attestationsOf, hasAttestations, writeSourceAttestations } from './attestations/attach.js';
import type { WrittenAttestations } from './attestations/attestation-manifest.js';

export interface WriteImageOptions {
  /** OCI media types (default) or Docker's. */
  readonly oci?: boolean;
  /** SOURCE_DATE_EPOCH: the config's times this build set are clamped to it. */
  readonly epoch?: Date;
  /** History entries that belong to the base image (never clamped). */
  readonly baseHistoryLength?: number;
  /** Manifest annotations of every image (BuildKit's `annotation.KEY`). */
  readonly annotations?: Readonly<Record<string, string>>;
  /**
   * BuildKit's annotation groups: manifest annotations per platform, on the manifest descriptors, on the index and
   * on its descriptor (`annotation-manifest[linux/arm64].K`, `annotation-index.K`, ...); merged over `annotations`.
   */
  readonly annotationGroups?: AnnotationGroups;
  readonly onWarning?: (message: string) => void;
  /** The exporter's image names: attestation statements name their subject after them. */
  readonly names?: readonly string[];
}

export interface WrittenImage {
  readonly manifest: Descriptor;
  readonly config: Descriptor;
  readonly configBytes: Uint8Array;
  readonly manifestBytes: Uint8Array;
}

/**
 * The config an export writes, as moby's and BuildKit's exporters write it: the given (or empty) config with diff
 * IDs and history made to agree and patched, every member the patch does not touch keeping its bytes; with an
 * epoch, the build's times clamped to it (and the `org.opencontainers.image.created` label).
 */
export function finalConfig(image: ExportImage, options: WriteImageOptions = {}): Uint8Array {
  const base = image.config ?? emptyImageConfigBytes();
  const diffIds = image.layers.map((l) => l.diffId);
  const normalized = normalizeLayersAndHistory(diffIds, parseHistoryFromConfig(base), image.layerMeta);
  for (const w of normalized.warnings) options.onWarning?.(w);
  const baseHistoryLength = options.baseHistoryLength ?? image.baseHistoryLength;
  const patched = patchImageConfig(base, normalized.diffIds, normalized.history, {
    ...(image.inlineCache !== undefined ? { inlineCache: image.inlineCache } : {}),
    ...(options.epoch !== undefined ? { epoch: options.epoch } : {}),
    ...(baseHistoryLength !== undefined ? { baseHistoryLength } : {}),
  });
  return options.epoch === undefined ? patched : clampCreatedLabel(patched, options.epoch);
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

/**
 * The SOURCE_DATE_EPOCH a source carries for one of its images (BuildKit's epoch.ParseSource: the platform's key,
 * then the common one); an empty value is none.
 */
export function sourceEpoch(source: ExportSource, platformId?: string): Date | undefined {
  const raw =
    (platformId !== undefined ? source.metadata[`${MetadataKey.epoch}/${platformId}`] : undefined) ??
    source.metadata[MetadataKey.epoch];
  if (raw === undefined) return undefined;
  const text = new TextDecoder().decode(raw);
  if (text === '') return undefined;
  if (!/^-?\d{1,12}$/.test(text)) {
    throw new InvalidInputError(
      'EPOCH_INVALID',
      `invalid SOURCE_DATE_EPOCH from the build: ${JSON.stringify(text)}`,
    );
  }
  return new Date(Number(text) * 1000);
}

/** One image of a source, with its platform when the source has one per platform. */
export interface SourceImage {
  readonly platformId?: string;
  readonly platform?: Platform;
  readonly image: ExportImage;
}

/**
 * The images of a source: its one `ref`, or one per platform from `refs`, in the order of `refs.platforms`
 * (`{"Platforms":[{"ID":"linux/amd64","Platform":{...}}]}`) when given, else in key order with the IDs parsed.
 */
export function sourceImages(source: ExportSource): SourceImage[] {
  if (source.ref !== undefined) return [{ image: source.ref }];
  const refs = source.refs ?? {};
  const ids = Object.keys(refs);
  if (ids.length === 0) throw new OptionError('EXPORT_NO_REF', 'export requires a reference', {});
  let listed: { ID: string; Platform?: Platform }[] | undefined;
  const raw = source.metadata[MetadataKey.platforms];
  if (raw !== undefined) {
    try {
      listed = (
        JSON.parse(new TextDecoder().decode(raw)) as { Platforms?: { ID: string; Platform?: Platform }[] }
      ).Platforms;
    } catch (cause) {
      throw new InvalidInputError('PLATFORMS_INVALID', 'failed to parse platforms passed to exporter', {
        cause,
      });
    }
  }
  const order: { ID: string; Platform?: Platform }[] = listed ?? ids.map((ID) => ({ ID }));
  if (order.length !== ids.length || order.some((p) => refs[p.ID] === undefined)) {
    throw new InvalidInputError(
      'PLATFORMS_MISMATCH',
      `number of platforms does not match references ${order.length} ${ids.length}`,
    );
  }
  return order.map((p) => ({
    platformId: p.ID,
    platform: p.Platform ?? parsePlatform(p.ID),
    image: refs[p.ID] as ExportImage,
  }));
}

/** The platform a config states (`os`, `architecture`, `variant`), for a single image that has no other. */
export function configPlatform(config: Uint8Array | undefined): { platform?: Platform } {
  if (config === undefined) return {};
  try {
    const c = JSON.parse(new TextDecoder().decode(config)) as Record<string, unknown>;
    if (typeof c.os !== 'string' || typeof c.architecture !== 'string') return {};
    const variant = typeof c.variant === 'string' && c.variant !== '' ? { variant: c.variant } : {};
    return { platform: { os: c.os, architecture: c.architecture, ...variant } };
  } catch {
    return {};
  }
}

export interface WrittenImages {
  /** The manifest (one image) or the index over the per-platform manifests. */
  readonly root: Descriptor;
  readonly rootBytes: Uint8Array;
  readonly images: readonly (SourceImage & { readonly written: WrittenImage })[];
  /** The attestation manifests written (with every blob of theirs), listed in the index after the images. */
  readonly attestations?: readonly WrittenAttestations[];
}

/**
 * Writes every image of a source (layers already in `store`) and, for several platforms, an index over them (OCI
 * index or Docker manifest list) with each manifest's platform; manifest annotations go on the index too.
 */
export async function writeImages(
  store: Ingester,
  source: ExportSource,
  given: WriteImageOptions = {},
): Promise<WrittenImages> {
  // Attestations make an index of OCI types (BuildKit's EnableOCITypes for attestations).
  const attested = hasAttestations(source);
  if (attested && given.oci === false)
    given.onWarning?.('forcibly turning on oci-mediatype mode for attestations');
  const options: WriteImageOptions = attested ? { ...given, oci: true } : given;
  const sources = sourceImages(source).map((s) =>
    s.platform !== undefined ? s : { ...s, ...configPlatform(s.image.config) },
  );
  const oci = options.oci ?? true;
  const multi = sources.length > 1 || sources[0]?.platformId !== undefined;
  checkAnnotations(options.annotationGroups, {
    oci,
    platformIds: sources.flatMap((s) => (s.platform !== undefined ? [formatPlatform(s.platform)] : [])),
    multiPlatform: multi || attested,
  });
  const images = [];
  for (const s of sources) {
    // An exporter's own source-date-epoch wins over the build's, as in BuildKit.
    const epoch = options.epoch ?? sourceEpoch(source, s.platformId);
    const own = annotationsFor(options.annotationGroups, s.platform);
    const manifestAnnotations = { ...options.annotations, ...own.manifest };
    const written = await writeImage(store, s.image, {
      ...options,
      annotations: manifestAnnotations,
      ...(epoch !== undefined ? { epoch } : {}),
      ...(s.image.baseHistoryLength !== undefined ? { baseHistoryLength: s.image.baseHistoryLength } : {}),
    });
    const withDescriptorAnnotations =
      Object.keys(own.manifestDescriptor).length > 0
        ? { ...written, manifest: { ...written.manifest, annotations: { ...own.manifestDescriptor } } }
        : written;
    images.push({ ...s, written: withDescriptorAnnotations });
  }
  const first = images[0] as (typeof images)[number];
  if (!multi && !attested) {
    return { root: first.written.manifest, rootBytes: first.written.manifestBytes, images };
  }
  const attestations = attested
    ? await writeSourceAttestations(
        store,
        source,
        images.map((i) => ({ ...i, manifest: i.written.manifest })),
        options.names ?? [],
      )
    : [];
  const common = annotationsFor(options.annotationGroups);
  const { buildIndex } = await import('@lading/manifest');
  const index = buildIndex(
    [
      ...images.map((i) => ({
        descriptor: i.written.manifest,
        platform: i.platform ?? attestationsOf(source, i.platformId).platform,
      })),
      ...attestations.map((a) => ({ descriptor: a.descriptor, platform: a.descriptor.platform })),
    ].map(({ descriptor, platform }) => ({ descriptor, ...(platform ? { platform } : {}) })),
    { oci, ...(Object.keys(common.index).length > 0 ? { annotations: common.index } : {}) },
  );
  const root = await writeBlob(store, index.bytes, { mediaType: index.descriptor.mediaType });
  const rootWithAnnotations =
    Object.keys(common.indexDescriptor).length > 0
      ? { ...root, annotations: { ...common.indexDescriptor } }
      : root;
  return {
    root: rootWithAnnotations,
    rootBytes: index.bytes,
    images,
    ...(attested ? { attestations } : {}),
  };
}
