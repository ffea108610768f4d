export type { AnnotationGroups, AnnotationSet } from './annotations.js';
export { annotationFlagAttrs, annotationsFor, parseAnnotationAttrs } from './annotations.js';
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
export { localExporter } from './local-exporter.js';
export { exportToMobyDataRoot, parseMobyDriver } from './moby-data-root.js';
export { createMobyExporter, mobyInput } from './moby-exporter.js';
export { dockerExporter, layoutRefName, ociExporter } from './oci-exporter.js';
export { tarExporter } from './tar-exporter.js';
