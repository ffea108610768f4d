export type { ContainerdChoice } from './containerd-export.js';
export { chooseContainerd, exportToContainerd } from './containerd-export.js';
export {
  createImageExporters,
  imageExporter,
  registryExporter,
  resolveImageAttrs,
} from './image-exporter.js';
export type { ImageNaming } from './image-names.js';
export { imageNaming, recordNames } from './image-names.js';
export { imageOptionsFromAttrs, parseCompression, parseNames, singleImage } from './image-options.js';
export { exportToMobyDataRoot, parseMobyDriver } from './moby-data-root.js';
export { createMobyExporter, mobyInput } from './moby-exporter.js';
export { dockerExporter, layoutRefName, ociExporter } from './oci-exporter.js';
