export type { ConformanceSubject, StoreFactory } from './describe-store-conformance.js';
export { describeStoreConformance } from './describe-store-conformance.js';
