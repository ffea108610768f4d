export { withDescriptorAnnotations, withIndexAnnotations, withManifestAnnotations } from './annotations.js';
export type { IndexEntry } from './build-index.js';
export { buildIndex } from './build-index.js';
export type { ConvertOptions } from './convert.js';
export { convertIndex, convertManifest, convertMediaType } from './convert.js';
export type { DecodedAny, DecodeOptions } from './decode.js';
export {
  checkAnnotations,
  checkDescriptor,
  decodeAny,
  decodeIndex,
  decodeManifest,
  maxManifestBytes,
  verifyBytes,
} from './decode.js';
export { encodeIndex, encodeManifest } from './encode.js';
export { selectPlatform } from './platform.js';
export type { Encoded, ImageIndex, ImageManifest } from './types.js';
export type { CopyGraphOptions, WalkContext, WalkHandler, WalkOptions } from './walk.js';
export { copyGraph, imageChildren, walk } from './walk.js';
