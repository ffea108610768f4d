#!/usr/bin/env node
// One layer blob (gzip, zstd or plain tar) applied to an empty directory, whole process: what `pnpm bench` times
// for @lading/layer's applyLayer.
//   node unpack-layer.mjs BLOB TARGET
import { createReadStream } from 'node:fs';
import { applyLayer } from '@lading/layer';

const [blob, target] = process.argv.slice(2);
const { diffId, size } = await applyLayer(target, {
  source: createReadStream(blob, { highWaterMark: 1 << 20 }),
});
console.log(JSON.stringify({ diffId, size }));
