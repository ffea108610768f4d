export * from './exporters/index.js';
export type { ImageLocation } from './operations/image-location.js';
export * from './operations/index.js';
export * from './plugin/index.js';
