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
export type { Encoded, ImageIndex, ImageManifest } from './types.js';
