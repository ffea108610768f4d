export type {
  AddResultOptions,
  CacheMode,
  CacheRecord,
  CacheResultLayers,
  LinkOptions,
  MarshalledBlob,
  MarshalledCache,
  MarshalOptions,
} from './cache-chains.js';
export { CacheChains, sortConfig } from './cache-chains.js';
export type { CacheCompression, CacheExportOptions } from './cache-options.js';
export { parseCacheExportOptions, parseGoBool } from './cache-options.js';
export type { LocalCacheTargetOptions } from './cache-targets.js';
export { openLocalCacheTarget, storeCacheTarget } from './cache-targets.js';
export { cacheConfigJson, encodeCacheConfig } from './encode-cache-config.js';
export type {
  CacheExportResult,
  CacheExportTarget,
  ExportCacheOptions,
  ExportProgress,
} from './export-cache.js';
export { descriptorJson, exportCache, exporterResponseManifestDesc } from './export-cache.js';
export type { CacheReader, ImportOptions, LocalImportOptions } from './import-cache.js';
export { importCache, importCacheWith, importLocalCache, providerReader } from './import-cache.js';
export type { CacheForm, FoundResult, ImportedCache } from './imported-cache.js';
export { concatCacheConfigs, importCacheConfig } from './imported-cache.js';
export { encodeInlineCache, importInlineCache } from './inline-cache.js';
export { convertLayerMediaType } from './layer-media-types.js';
export type { LayoutReader } from './layout-reader.js';
export { openLayoutReader } from './layout-reader.js';
export { decodeCacheConfig, parseCacheConfig } from './parse-cache-config.js';
export type * from './spec.js';
export {
  annotationCreatedAt,
  annotationUncompressed,
  cacheConfigMediaType,
  emptyGzipLayer,
  inlineCacheConfigKey,
  zeroTime,
} from './spec.js';
