/** BuildKit's exporter response keys. */
export const ResponseKey = {
  imageDigest: 'containerimage.digest',
  configDigest: 'containerimage.config.digest',
  imageName: 'image.name',
  descriptor: 'containerimage.descriptor',
  cacheManifest: 'cache.manifest',
} as const;

/** BuildKit's source metadata keys. */
export const MetadataKey = {
  imageConfig: 'containerimage.config',
  inlineCache: 'containerimage.inlinecache',
  platforms: 'refs.platforms',
  /** SOURCE_DATE_EPOCH of the build, in seconds (BuildKit's exptypes.ExporterEpochKey); `/<platformID>` for one. */
  epoch: 'source.date.epoch',
} as const;

/** `containerimage.config/<platformID>`: the config of one platform of a multi-platform export. */
export function imageConfigKey(platformId?: string): string {
  return platformId === undefined ? MetadataKey.imageConfig : `${MetadataKey.imageConfig}/${platformId}`;
}
