export { imageExporter, registryExporter, resolveImageAttrs } from './image-exporter.js';
export { imageOptionsFromAttrs, parseCompression, parseNames, singleImage } from './image-options.js';
export { exportToMobyDataRoot, parseMobyDriver } from './moby-data-root.js';
export { createMobyExporter, mobyInput } from './moby-exporter.js';
export { dockerExporter, layoutRefName, ociExporter } from './oci-exporter.js';
