// The transports live in @lading/transports (shared with `lading copy`/`inspect`); what is lading-buildah's own
// is the signature policy checked on each copy's source (policy-transfer.ts).
export type {
  ImageReference,
  ImageSource,
  PreparedImage,
  PrepareOptions,
  RegistryFlags,
  RemoteReference,
  TransportName,
} from '@lading/transports';
export {
  dirTransportVersion,
  extractArchive,
  formatImageReference,
  parseImageReference,
  prepareImage,
  registryOptions,
} from '@lading/transports';
export type { TransferOptions } from './policy-transfer.js';
export { readImage, writeImage } from './policy-transfer.js';
