export { maxConfigBytes, maxManifestBytes, maxSignatureBytes } from './caps.js';
export type { Descriptor, Platform } from './descriptor.js';
export { AnnotationCreated, AnnotationRefName } from './descriptor.js';
export type { Algorithm, Digest } from './digest.js';
export {
  digestAlgorithm,
  digestEncoded,
  isDigest,
  isKnownAlgorithm,
  makeDigest,
  parseDigest,
} from './digest.js';
export type { ErrorKind, LadingErrorOptions, RegistryErrorDetail, RegistryErrorOptions } from './errors.js';
export {
  ExitCode,
  exitCodeFor,
  IntegrityError,
  InvalidInputError,
  isIntegrityError,
  isInvalidInputError,
  isLadingError,
  isNotFoundError,
  isOptionError,
  isRegistryError,
  LadingError,
  NotFoundError,
  OptionError,
  RegistryError,
  redactUrl,
} from './errors.js';
export {
  compactJson,
  encodeRawMap,
  goEscape,
  goJson,
  goMap,
  goString,
  goStruct,
  goValue,
  sortedMap,
  splitObject,
} from './go-json.js';
export type { BoolAttrOptions } from './go-strconv.js';
export { parseBoolAttr, parseGoBool } from './go-strconv.js';
export { formatGoTime } from './go-time.js';
export type { Expected, HashResult } from './hash.js';
export { checkHash, Digester, digestOf, hashStream, verifyStream } from './hash.js';
export type { ParseJsonOptions } from './json.js';
export {
  isJsonObject,
  jsonNestsDeeperThan,
  maxJsonDepth,
  parseJson,
  parseJsonObject,
  setOwn,
} from './json.js';
export { createLimiter, mapLimit } from './limit.js';
export type { Compression, KnownMediaType } from './media-type.js';
export {
  isConfigMediaType,
  isForeignLayer,
  isIndexMediaType,
  isLayerMediaType,
  isManifestMediaType,
  isNonDistributableMediaType,
  layerCompression,
  layerMediaType,
  MediaType,
} from './media-type.js';
export {
  defaultPlatform,
  formatPlatform,
  normalizePlatform,
  parsePlatform,
  platformMatches,
} from './platform.js';
export type { PrintableOptions } from './printable.js';
export { printable } from './printable.js';
export { compareUtf8 } from './utf8-order.js';
