import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeStoreConformance } from './conformance/index.js';
import { openLocalStore } from './local-store.js';

describeStoreConformance('local store (OCI layout)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lading-cs-'));
  return {
    store: await openLocalStore(join(dir, 'layout')),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});
