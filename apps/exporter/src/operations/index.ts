export type {
  AttestOptions,
  AttestRequest,
  ImageAttestations,
  ProvenanceOptions,
  Statement,
} from './attestations/index.js';
export {
  attestShorthand,
  decodeStatement,
  PredicateType,
  readImageAttestations,
  resolveAttestations,
} from './attestations/index.js';
export type { BaseImage } from './base-image.js';
export { parseOciReference, readOciLayoutImage, readStoreImage } from './base-image.js';
export type { BuildSourceOptions, BuiltSource, ConfigEdits, LayerInput } from './build-source.js';
export { applyConfigEdits, buildExportSource } from './build-source.js';
export type { CacheSpec, LayerCacheSource, LayerKeySettings } from './cache.js';
export {
  exportLayerCache,
  importLayerCaches,
  inlineLayerCache,
  layerCacheKeys,
  reuseCachedLayer,
} from './cache.js';
export type { CopyFormat, CopyOptions } from './copy-image.js';
export { convertImageGraph, copyImage, copyImageGraph } from './copy-image.js';
export type { ExportImageOptions, ExportImageResult, OutputRequest } from './export.js';
export { exporterTable, exportImage } from './export.js';
export type { ImageRow } from './image-rows.js';
export { listImageRows } from './image-rows.js';
export type { InspectedImage, ListedImage } from './images.js';
export { findStoreImage, inspectImage, listImages } from './images.js';
export { loadExporterPlugin } from './load-plugin.js';
export { readBaseImage } from './read-base.js';
export type { SourceImage, WriteImageOptions, WrittenImage, WrittenImages } from './write-image.js';
export { finalConfig, sourceImages, writeImage, writeImages } from './write-image.js';
