export type { PolicyContext } from './policy/index.js';
export { loadPolicy } from './policy/index.js';
export type { ImageReference, ImageSource, RemoteReference, TransferOptions } from './transports/index.js';
export { parseImageReference, readImage, writeImage } from './transports/index.js';
