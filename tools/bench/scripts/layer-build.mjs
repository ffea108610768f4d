#!/usr/bin/env node
// lading's side of the layer benchmark: one layer of a directory into a local store (an OCI layout), as
// `umoci insert` does. Usage:
//   node layer-build.mjs --tree DIR --store DIR [--compression gzip|zstd|uncompressed] [--level N] [--workers N]
//                        [--cache DIR] [--epoch S]
// Prints the layer (descriptor, diffId, uncompressedSize, fromCache) as JSON on stdout.
import { parseArgs } from 'node:util';
import { openLocalStore } from '../../../packages/content-store/dist/index.js';
import { buildLayer } from '../../../packages/layer/dist/index.js';

const { values } = parseArgs({
  options: {
    tree: { type: 'string' },
    store: { type: 'string' },
    compression: { type: 'string', default: 'gzip' },
    level: { type: 'string' },
    workers: { type: 'string' },
    cache: { type: 'string' },
    epoch: { type: 'string' },
  },
});
if (!values.tree || !values.store) {
  process.stderr.write(
    'usage: layer-build.mjs --tree DIR --store DIR [--compression C] [--level N] [--cache DIR]\n',
  );
  process.exit(2);
}
const store = await openLocalStore(values.store);
const layer = await buildLayer(values.tree, store, {
  compression: values.compression,
  ...(values.level !== undefined ? { level: Number(values.level) } : {}),
  ...(values.workers !== undefined ? { workers: Number(values.workers) } : {}),
  ...(values.cache !== undefined ? { cacheDir: values.cache } : {}),
  ...(values.epoch !== undefined ? { epoch: Number(values.epoch) } : {}),
});
process.stdout.write(`${JSON.stringify(layer)}\n`);
