export type { GraphDriver, StagedLayer } from './graph-driver.js';
export { assertDataRootIdle } from './in-use.js';
export type { DataRootLayer, LayerProgress, RegisteredLayer } from './layer-store.js';
export { maxLayerDepth } from './layer-store.js';
export type { DataRootPaths, MobyDriver } from './layout.js';
export { chooseDriver, dataRootPaths, isMobyDriver, mobyDrivers } from './layout.js';
export { TarSplitter } from './tar-split.js';
export type {
  DataRootImage,
  DataRootProgress,
  DataRootResult,
  WriteDataRootOptions,
} from './write-data-root.js';
export { openGraphDriver, writeDataRootImage } from './write-data-root.js';
