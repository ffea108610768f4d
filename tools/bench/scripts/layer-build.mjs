#!/usr/bin/env node
// One layer of a tree into a LocalStore, whole process: what `pnpm bench` times for @lading/layer.
//   node layer-build.mjs TREE STORE [gzip|zstd|uncompressed] [--cache]
// Prints the layer as JSON on stdout.
import { join } from 'node:path';
import { openLocalStore } from '@lading/content-store';
import { buildLayer } from '@lading/layer';

const [tree, storeDir, compression = 'gzip', cacheFlag] = process.argv.slice(2);
const store = await openLocalStore(storeDir);
const layer = await buildLayer(tree, store, {
  compression,
  oci: true,
  ...(cacheFlag === '--cache' ? { cacheDir: join(storeDir, '.lading', 'layer-cache') } : {}),
});
console.log(JSON.stringify({ ...layer, uncompressedSize: layer.uncompressedSize }));
