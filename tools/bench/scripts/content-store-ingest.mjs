#!/usr/bin/env node
// lading's side of the ingest benchmark: one file into a LocalStore (hash while writing, fsync, rename into
// blobs/, fsync the directory), as one whole process. Usage: node content-store-ingest.mjs FILE STORE_DIR [--chunk MiB]
// Three reused buffers: a read, a write and the hash of the chunk just read overlap (reads and writes run in the
// libuv pool, the hash on the main thread); memory stays at a few MiB whatever the file size.
import { open } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { openLocalStore } from '../../../packages/content-store/dist/index.js';

const { values, positionals } = parseArgs({
  options: { chunk: { type: 'string', default: '1' } },
  allowPositionals: true,
});
const [file, dir] = positionals;
if (!file || !dir) {
  process.stderr.write('usage: content-store-ingest.mjs FILE STORE_DIR [--chunk MiB]\n');
  process.exit(2);
}
const size = Number(values.chunk) * 1024 * 1024;
const store = await openLocalStore(dir);
const writer = await store.writer({ ref: `bench-${process.pid}` });
const fh = await open(file, 'r');
const n = 3;
const bufs = Array.from({ length: n }, () => Buffer.allocUnsafe(size));
const writes = new Array(n).fill(undefined);
let position = 0;
let k = 0;
let next = fh.read(bufs[0], 0, size, 0);
for (;;) {
  const { bytesRead } = await next;
  if (bytesRead === 0) break;
  const cur = bufs[k % n];
  position += bytesRead;
  const j = (k + 1) % n;
  await writes[j];
  next = fh.read(bufs[j], 0, size, position);
  writes[k % n] = writer.write(cur.subarray(0, bytesRead));
  k++;
}
await Promise.all(writes);
await fh.close();
const desc = await writer.commit();
process.stdout.write(`${desc.digest} ${desc.size}\n`);
