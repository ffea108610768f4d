#!/usr/bin/env node
// lading's side of the push benchmark: push an image from an OCI layout to a registry, as
// `skopeo copy oci:DIR:TAG docker://REF` does. Usage:
//   node push-oci.mjs --layout DIR --tag TAG (--dest REF | --dest-file FILE) [--insecure]
// The layout is opened with @lading/content-store's openLocalStore; the push is @lading/push's pushImage.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { openLocalStore } from '../../../packages/content-store/dist/index.js';
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

const store = await openLocalStore(values.layout);
const index = await store.readIndex();
const root = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === values.tag);
if (!root) {
  process.stderr.write(`no image tagged ${values.tag} in ${values.layout}\n`);
  process.exit(4);
}
const started = process.hrtime.bigint();
const result = await pushImage(store, root, dest, {
  insecure: values.insecure,
  ...(values.concurrency ? { concurrency: Number(values.concurrency) } : {}),
});
const ms = Number(process.hrtime.bigint() - started) / 1e6;
process.stdout.write(`${JSON.stringify({ ...result, ms })}\n`);
