export {
  type LayoutPick,
  layoutEntriesNamed,
  pickLayoutEntry,
  unsupportedLayoutTypes,
} from './layout-names.js';
export type { Reference } from './reference.js';
export {
  canonicalReference,
  defaultRegistry,
  defaultTag,
  familiarName,
  familiarString,
  formatReference,
  isImageIdLike,
  isLocalhost,
  nameTotalLengthMax,
  parseNormalizedReference,
  parseReference,
  referenceName,
  registryApiHost,
  withDefaultTag,
} from './reference.js';
