export type { ContainerdLocation } from './address.js';
export {
  containerdAnswers,
  defaultContainerdAddress,
  defaultContainerdNamespace,
  resolveContainerdLocation,
} from './address.js';
export type { InPlaceApply, InPlaceApplyOptions, InPlaceTarget } from './apply-in-place.js';
export { openInPlaceApply } from './apply-in-place.js';
export { chainIds } from './chain-id.js';
export type { ConnectOptions } from './client.js';
export { ContainerdClient, connectContainerd } from './client.js';
export type { ContainerdPutOptions } from './content-store.js';
export { ContainerdContentStore } from './content-store.js';
export { DiffService } from './diff.js';
export {
  AlreadyExistsError,
  ContainerdError,
  isAlreadyExistsError,
  isContainerdUnavailable,
  isNotFoundError,
} from './errors.js';
export { indexGcLabels, labelImageGraph, manifestGcLabels } from './gc-labels.js';
export type { ImageRecord, NewImageRecord } from './images.js';
export { ImageService } from './images.js';
export type { ContainerdLease, CreateLeaseOptions, LeaseResource } from './leases.js';
export { LeaseExpireLabel, LeaseService } from './leases.js';
export type { Mount, SnapshotInfo, SnapshotKind } from './snapshots.js';
export { SnapshotService } from './snapshots.js';
export type { UnpackLayer, UnpackOptions, UnpackResult, UnpackTarget } from './unpack.js';
export { checkSnapshotter, snapshotGcLabel, UncompressedLabel, unpackImage, unpackLayers } from './unpack.js';
export { isIdentifier } from './validate.js';
