export type { ErrorReportOptions } from './error-report.js';
export { formatErrorReport } from './error-report.js';
export { unknownFlagError } from './unknown-flag.js';
