export { type ArchiveSink, ArchiveWriter, type ArchiveWriterOptions } from './archive-writer.js';
export type { BuildLayerOptions, BuiltLayer } from './build-layer.js';
export { buildLayer } from './build-layer.js';
export type { CompressOptions } from './compress.js';
export { compressionBlockSize, compressStream, defaultGzipLevel, defaultZstdLevel } from './compress.js';
export { decompressStream, detectCompression } from './decompress.js';
export type { DiffOptions } from './diff-trees.js';
export {
  buildDiffLayer,
  diffTarItems,
  diffTreeEntries,
  opaqueWhiteout,
  whiteoutPrefix,
} from './diff-trees.js';
export { GzipPool } from './gzip-pool.js';
export type { Layer, LayerProgress, LayerWriteOptions } from './layer.js';
export type { CachedLayer } from './layer-cache.js';
export { readCachedLayer, treeCacheKey, writeCachedLayer } from './layer-cache.js';
export type { TarballLayerOptions } from './layer-from-tarball.js';
export { layerFromTarball } from './layer-from-tarball.js';
export type { TarItem, TarOptions } from './tar-from-tree.js';
export { tarItemsFromEntries, writeTar } from './tar-from-tree.js';
export type { TarEntryType, TarHeader } from './tar-header.js';
export { encodeTarHeader } from './tar-header.js';
export type { TreeEntry, WalkOptions } from './tree-entry.js';
export { readTreeEntries, walkTree } from './tree-entry.js';
export { treeMetadataKey } from './tree-key.js';
export type { LayerSource, UnpackOptions } from './unpack.js';
export { applyLayer, unpackLayers } from './unpack.js';
export { writeLayer } from './write-layer.js';
