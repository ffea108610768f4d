export { binarySize } from './binary-size.js';
export { alignRows } from './columns.js';
export { takeDebugFlag } from './debug-flag.js';
export type { BinEntry, TopLevel } from './entry.js';
export { answerTopLevel, runWhenInvoked } from './entry.js';
export type { ErrorReportOptions } from './error-report.js';
export { formatErrorReport } from './error-report.js';
export { unknownFlagError } from './unknown-flag.js';
