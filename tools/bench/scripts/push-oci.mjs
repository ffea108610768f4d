#!/usr/bin/env node
// lading's side of the push benchmark: push an image from an OCI layout to a registry, as
// `skopeo copy oci:DIR:TAG docker://REF` does. Usage:
//   node push-oci.mjs --layout DIR --tag TAG (--dest REF | --dest-file FILE) [--insecure]
// The layout is read straight from blobs/<alg>/<hex> (a small reader here until @lading/content-store's
// openLocalStore can be used); the push itself is @lading/push's pushImage.
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pushImage } from '../../../packages/push/dist/index.js';

const { values } = parseArgs({
  options: {
    layout: { type: 'string' },
    tag: { type: 'string', default: 'latest' },
    dest: { type: 'string' },
    'dest-file': { type: 'string' },
    insecure: { type: 'boolean', default: false },
    concurrency: { type: 'string' },
  },
});
const dest =
  values.dest ?? (values['dest-file'] ? (await readFile(values['dest-file'], 'utf8')).trim() : undefined);
if (!values.layout || !dest) {
  process.stderr.write('usage: push-oci.mjs --layout DIR --tag TAG --dest REF\n');
  process.exit(2);
}

const layout = values.layout;
const blobPath = (digest) => {
  const [alg, hex] = digest.split(':');
  return join(layout, 'blobs', alg, hex);
};
const store = {
  read(ref, options = {}) {
    return createReadStream(blobPath(ref.digest), {
      highWaterMark: 1 << 20,
      ...(options.offset ? { start: options.offset } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  },
  async info(digest) {
    const s = await stat(blobPath(digest));
    return { digest, size: s.size, createdAt: s.birthtime, updatedAt: s.mtime, labels: {} };
  },
};

const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8'));
const root = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === values.tag);
if (!root) {
  process.stderr.write(`no image tagged ${values.tag} in ${layout}\n`);
  process.exit(4);
}
const started = process.hrtime.bigint();
const result = await pushImage(store, root, dest, {
  insecure: values.insecure,
  ...(values.concurrency ? { concurrency: Number(values.concurrency) } : {}),
});
const ms = Number(process.hrtime.bigint() - started) / 1e6;
process.stdout.write(`${JSON.stringify({ ...result, ms })}\n`);
