/** Media types of the OCI image-spec v1.1 and Docker's image manifest v2 schema 2. */
export const MediaType = {
  ociLayout: 'application/vnd.oci.layout.header.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociLayerNondistributable: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  ociLayerNondistributableGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  ociLayerNondistributableZstd: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  /** Not part of Docker's schema; BuildKit and containerd write it for zstd layers with Docker media types. */
  dockerLayerZstd: 'application/vnd.docker.image.rootfs.diff.tar.zstd',
  dockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  dockerManifestV1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  buildkitCacheConfig: 'application/vnd.buildkit.cacheconfig.v0',
} as const;

export type KnownMediaType = (typeof MediaType)[keyof typeof MediaType];

const layerTypes: ReadonlySet<string> = new Set([
  MediaType.ociLayer,
  MediaType.ociLayerGzip,
  MediaType.ociLayerZstd,
  MediaType.ociLayerNondistributable,
  MediaType.ociLayerNondistributableGzip,
  MediaType.ociLayerNondistributableZstd,
  MediaType.dockerLayer,
  MediaType.dockerLayerGzip,
  MediaType.dockerLayerZstd,
  MediaType.dockerForeignLayer,
]);

export function isLayerMediaType(mt: string): boolean {
  return layerTypes.has(mt);
}

/**
 * containerd's images.IsNonDistributable: an OCI non-distributable layer or a Docker foreign layer, by media type.
 * Such a layer keeps its media type: it is never recompressed into an ordinary one.
 */
export function isNonDistributableMediaType(mt: string): boolean {
  return (
    mt.startsWith('application/vnd.oci.image.layer.nondistributable.') ||
    mt.startsWith('application/vnd.docker.image.rootfs.foreign.')
  );
}

/**
 * The one "foreign layer" check: a non-distributable (or Docker foreign) layer that names URLs stays where they
 * point; it is neither pushed, pulled nor copied. As distribution's manifest verification has it
 * (`registry/storage/schema2manifesthandler.go`, `ocimanifesthandler.go`): only such a layer may be missing from
 * the repository; one without URLs must be there, and an ordinary layer with URLs is not foreign.
 */
export function isForeignLayer(d: {
  readonly mediaType: string;
  readonly urls?: readonly string[];
}): boolean {
  return (d.urls?.length ?? 0) > 0 && isNonDistributableMediaType(d.mediaType);
}

export function isManifestMediaType(mt: string): boolean {
  return mt === MediaType.ociManifest || mt === MediaType.dockerManifest;
}

export function isIndexMediaType(mt: string): boolean {
  return mt === MediaType.ociIndex || mt === MediaType.dockerManifestList;
}

export function isConfigMediaType(mt: string): boolean {
  return mt === MediaType.ociConfig || mt === MediaType.dockerConfig;
}

export type Compression = 'uncompressed' | 'gzip' | 'zstd';

/** The compression a layer media type implies, or undefined for a non-layer type. */
export function layerCompression(mt: string): Compression | undefined {
  if (!isLayerMediaType(mt)) return undefined;
  if (mt.endsWith('+gzip') || mt.endsWith('.gzip')) return 'gzip';
  if (mt.endsWith('+zstd') || mt.endsWith('.zstd')) return 'zstd';
  return 'uncompressed';
}

/** The layer media type for a compression, as BuildKit writes it for OCI or Docker media types. */
export function layerMediaType(compression: Compression, options: { oci: boolean }): string {
  if (options.oci) {
    return compression === 'gzip'
      ? MediaType.ociLayerGzip
      : compression === 'zstd'
        ? MediaType.ociLayerZstd
        : MediaType.ociLayer;
  }
  return compression === 'gzip'
    ? MediaType.dockerLayerGzip
    : compression === 'zstd'
      ? MediaType.dockerLayerZstd
      : MediaType.dockerLayer;
}
