export type { ImageLocation } from './cli/common.js';
export { parseImageLocation } from './cli/common.js';
export type { OutputSpec } from './cli/output-spec.js';
export { parseCsvRecord, parseOutputSpec } from './cli/output-spec.js';
export * from './exporters/index.js';
export * from './operations/index.js';
export * from './plugin/index.js';
