export { chainId, chainIds } from './chain-id.js';
export { ImageDb } from './image-db.js';
export type { Image, ImageInput, ListFilter } from './image-store.js';
export { AnnotationImageName, ImageStore } from './image-store.js';
export { readJsonFile, updateJsonFile } from './json-file.js';
export * from './reference/index.js';
export type { NamedReference, TagOptions } from './tag-store.js';
export { ReferenceStore, validateTag } from './tag-store.js';
