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
export { parseCacheExportOptions } from './cache-options.js';
export type { LocalCacheTargetOptions } from './cache-targets.js';
export { encodeInlineCache, openLocalCacheTarget, storeCacheTarget } from './cache-targets.js';
export { cacheConfigJson, encodeCacheConfig } from './encode-cache-config.js';
export type {
  CacheExportResult,
  CacheExportTarget,
  ExportCacheOptions,
  ExportProgress,
} from './export-cache.js';
export { descriptorJson, exportCache, exporterResponseManifestDesc } from './export-cache.js';
export type { FoundResult, ImportedCache, ImportOptions, LocalImportOptions } from './import-cache.js';
export { importCache, importCacheConfig, importInlineCache, importLocalCache } from './import-cache.js';
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
