export { OptionError } from '@lading/digest';
export { parseBool, parseBoolAttr, parseIntAttr } from './attrs.js';
export { imageConfigKey, MetadataKey, ResponseKey } from './keys.js';
export type {
  ExportAttestation,
  ExportContext,
  ExportEnv,
  Exporter,
  ExporterInstance,
  ExporterPluginModule,
  ExportImage,
  ExportLayer,
  ExportLayerMeta,
  ExportLogger,
  ExportProgress,
  ExportResult,
  ExportSource,
  LayerSink,
  LayerTap,
  PluginApi,
  TappedLayer,
} from './types.js';
export { specificationVersion } from './types.js';
