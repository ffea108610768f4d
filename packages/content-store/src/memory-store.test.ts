import { describeStoreConformance } from './conformance/index.js';
import { createMemoryStore } from './memory-store.js';

describeStoreConformance('memory store', async () => ({ store: createMemoryStore() }));
