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
export { clampToEpoch, createdLabel } from './epoch.js';
export { imageId } from './image-id.js';
export type { NormalizedHistory } from './normalize-history.js';
export { exporterHistoryComment, normalizeLayersAndHistory } from './normalize-history.js';
export { maxConfigBytes, parseHistoryFromConfig, parseImageConfig } from './parse.js';
export { inlineCacheKey, patchImageConfig } from './patch.js';
export { formatTime, isRfc3339, normalizeTime, parseEpoch } from './time.js';
export type { ContainerConfig, Healthcheck, History, ImageConfig, LayerMeta, RootFS } from './types.js';
