// Moved to @lading/digest (one home for Go compatibility); kept here so existing imports keep working.
export { compactJson, goEscape } from '@lading/digest';
export type { PortEditOptions } from './edit.js';
export {
  parsePort,
  withAuthor,
  withCmd,
  withEntrypoint,
  withEnv,
  withExposedPorts,
  withHealthcheck,
  withHistory,
  withLabels,
  withStopSignal,
  withUser,
  withVolumes,
  withWorkingDir,
} from './edit.js';
export { defaultPathEnv, emptyImageConfig, emptyImageConfigBytes } from './empty.js';
export { encodeImageConfig } from './encode.js';
export { clampCreatedLabel, clampToEpoch, createdLabel } from './epoch.js';
export { imageId } from './image-id.js';
export type { NormalizedHistory } from './normalize-history.js';
export { exporterHistoryComment, normalizeLayersAndHistory } from './normalize-history.js';
export { maxConfigBytes, parseHistoryFromConfig, parseImageConfig } from './parse.js';
export type { PatchOptions } from './patch.js';
export { inlineCacheKey, patchImageConfig } from './patch.js';
export { rewriteImageConfig, withoutCreated } from './rewrite.js';
export { formatTime, isRfc3339, normalizeTime, parseEpoch } from './time.js';
export type { ContainerConfig, Healthcheck, History, ImageConfig, LayerMeta, RootFS } from './types.js';
