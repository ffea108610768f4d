#!/usr/bin/env node
// lading's side of the digest benchmark: sha256 of a file with @lading/digest, printed like `sha256sum`.
// Usage: node content-store-digest.mjs FILE [--chunk MiB]
// Reads straight from a FileHandle into two reused buffers: the next read runs in the libuv pool while the
// current buffer is hashed on the main thread (OpenSSL, SHA-NI), so reading costs almost nothing.
import { open } from 'node:fs/promises';
import { parseArgs } from 'node:util';
// Only the hashing module: loading the whole package index costs ~30 ms of startup for nothing used here.
import { Digester } from '../../../packages/digest/dist/hash.js';

const { values, positionals } = parseArgs({
  options: { chunk: { type: 'string', default: '4' } },
  allowPositionals: true,
});
const file = positionals[0];
if (!file) {
  process.stderr.write('usage: content-store-digest.mjs FILE [--chunk MiB]\n');
  process.exit(2);
}
const size = Number(values.chunk) * 1024 * 1024;
const fh = await open(file, 'r');
const bufs = [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)];
const d = new Digester('sha256');
let position = 0;
let i = 0;
let next = fh.read(bufs[0], 0, size, 0);
for (;;) {
  const { bytesRead, buffer } = await next;
  if (bytesRead === 0) break;
  position += bytesRead;
  i ^= 1;
  next = fh.read(bufs[i], 0, size, position);
  d.update(buffer.subarray(0, bytesRead));
}
await fh.close();
process.stdout.write(`${d.digest().slice(7)}  ${file}\n`);
