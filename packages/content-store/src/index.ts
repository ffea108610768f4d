export type { ReadBlobOptions, WriteBlobOptions } from './blob-helpers.js';
export {
  blobSourceFrom,
  copyBlob,
  defaultMaxBlobBytes,
  readBlob,
  StoreSink,
  writeBlob,
} from './blob-helpers.js';
export type { LockOptions } from './file-lock.js';
export { FileLock } from './file-lock.js';
export type { GcRoot } from './gc-mark.js';
export { childDescriptors, maxManifestBytes } from './gc-mark.js';
export type { LocalStoreOptions } from './local-store.js';
export { openLocalStore } from './local-store.js';
export { createMemoryStore } from './memory-store.js';
export type * from './types.js';
export { fsyncDir, writeFileAtomic } from './write-file-atomic.js';
