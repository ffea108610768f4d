export type { RawTarEntry } from './hostile-tar.js';
export { hostileTars, rawTar } from './hostile-tar.js';
export type { TreeSnapshotEntry } from './tree-fixture.js';
export { fixtureTime, makeTreeFixture, snapshotTree } from './tree-fixture.js';
