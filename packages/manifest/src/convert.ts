import { type Descriptor, InvalidInputError, MediaType } from '@lading/digest';
import { encodeIndex, encodeManifest } from './encode.js';
import type { Encoded, ImageIndex, ImageManifest } from './types.js';

// Pairs of [OCI, Docker] media types, as BuildKit's oci-mediatypes switch maps them. Docker has no
// zstd type; BuildKit and containerd write a non-standard one, which we accept too.
const pairs: readonly (readonly [string, string])[] = [
  [MediaType.ociManifest, MediaType.dockerManifest],
  [MediaType.ociIndex, MediaType.dockerManifestList],
  [MediaType.ociConfig, MediaType.dockerConfig],
  [MediaType.ociLayer, MediaType.dockerLayer],
  [MediaType.ociLayerGzip, MediaType.dockerLayerGzip],
  [MediaType.ociLayerZstd, MediaType.dockerLayerZstd],
  [MediaType.ociLayerNondistributableGzip, MediaType.dockerForeignLayer],
];
const toDocker = new Map(pairs.map(([o, d]) => [o, d]));
const toOci = new Map(pairs.map(([o, d]) => [d, o]));

/** The media type in the other family; types with no counterpart (e.g. artifacts) are kept. */
export function convertMediaType(mediaType: string, options: { readonly oci: boolean }): string {
  return (options.oci ? toOci : toDocker).get(mediaType) ?? mediaType;
}

export interface ConvertOptions {
  readonly oci: boolean;
  /**
   * Docker schema2 has no manifest- or index-level annotations. By default converting such a value to Docker
   * types is refused; set this to drop them instead.
   */
  readonly dropAnnotations?: boolean;
}

function withType(d: Descriptor, options: ConvertOptions): Descriptor {
  const mediaType = convertMediaType(d.mediaType, options);
  return mediaType === d.mediaType ? d : { ...d, mediaType };
}

function checkDockerable(value: ImageManifest | ImageIndex, what: string, options: ConvertOptions): boolean {
  if (options.oci) return false;
  for (const field of ['subject', 'artifactType'] as const) {
    if (value[field] !== undefined) {
      throw new InvalidInputError(
        'MEDIA_TYPE_UNSUPPORTED',
        `${what} has "${field}", which Docker media types cannot carry; keep OCI media types (oci-mediatypes=true)`,
      );
    }
  }
  if (value.annotations !== undefined && Object.keys(value.annotations).length > 0) {
    if (options.dropAnnotations !== true) {
      throw new InvalidInputError(
        'MEDIA_TYPE_UNSUPPORTED',
        `${what} has annotations, which Docker media types cannot carry; keep OCI media types or drop them`,
      );
    }
    return true;
  }
  return false;
}

/**
 * Re-types a manifest, its config and layers to OCI or Docker media types. Returns the input unchanged
 * (same bytes) when nothing changes; otherwise a new encoding (a new digest).
 */
export function convertManifest(
  encoded: Encoded<ImageManifest>,
  options: ConvertOptions,
): Encoded<ImageManifest> {
  const { value } = encoded;
  const drop = checkDockerable(value, 'manifest', options);
  const mediaType = convertMediaType(value.mediaType ?? MediaType.ociManifest, options);
  const config = withType(value.config, options);
  const layers = value.layers.map((l) => withType(l, options));
  const same =
    mediaType === (value.mediaType ?? (options.oci ? mediaType : undefined)) &&
    config === value.config &&
    layers.every((l, i) => l === value.layers[i]) &&
    !drop;
  if (same) return encoded;
  const next: Record<string, unknown> = { ...value, mediaType, config, layers };
  if (drop) delete next.annotations;
  return encodeManifest(next as ImageManifest);
}

/**
 * Re-types an index and its children's descriptors. `children` maps a child's old digest to its converted
 * descriptor (from convertManifest); children not in the map keep their digest and get only a new media type.
 */
export function convertIndex(
  encoded: Encoded<ImageIndex>,
  options: ConvertOptions & { readonly children?: ReadonlyMap<string, Descriptor> },
): Encoded<ImageIndex> {
  const { value } = encoded;
  const drop = checkDockerable(value, 'index', options);
  const mediaType = convertMediaType(value.mediaType ?? MediaType.ociIndex, options);
  const manifests = value.manifests.map((m) => {
    const replaced = options.children?.get(m.digest);
    const typed = withType(m, options);
    if (replaced === undefined) return typed;
    return { ...typed, mediaType: replaced.mediaType, digest: replaced.digest, size: replaced.size };
  });
  const same =
    mediaType === (value.mediaType ?? (options.oci ? mediaType : undefined)) &&
    manifests.every((m, i) => m === value.manifests[i]) &&
    !drop;
  if (same) return encoded;
  const next: Record<string, unknown> = { ...value, mediaType, manifests };
  if (drop) delete next.annotations;
  return encodeIndex(next as ImageIndex);
}
