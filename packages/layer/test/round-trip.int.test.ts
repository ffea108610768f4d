import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createMemoryStore, openLocalStore } from '@lading/content-store';
import type { Digest } from '@lading/digest';
import { havePeers, makeTempDir, type TempDir } from '@lading/testkit';
import { makeTreeFixture, snapshotTree } from '@lading/testkit/layer-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyLayer, buildLayer } from '../src/index.js';

const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function readAll(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of source) parts.push(c);
  return Buffer.concat(parts);
}

let tmp: TempDir;
let tree: string;
beforeAll(async () => {
  tmp = await makeTempDir('lading-layer-rt-');
  tree = join(tmp.path, 'tree');
  makeTreeFixture(tree);
});
afterAll(async () => {
  // The fixture has a 0555 directory; make it writable so it can be removed.
  execFileSync('chmod', ['-R', 'u+w', tmp.path]);
  await tmp.cleanup();
});

describe('tree -> layer -> our unpack', () => {
  for (const compression of ['uncompressed', 'gzip', 'zstd'] as const) {
    it(`gives back the same tree (${compression})`, async () => {
      const store = createMemoryStore();
      const layer = await buildLayer(tree, store, { compression });
      const blob = await readAll(store.read({ digest: layer.descriptor.digest }));
      expect(sha256(blob)).toBe(layer.descriptor.digest);
      expect(blob.length).toBe(layer.descriptor.size);
      const out = join(tmp.path, `out-${compression}`);
      const applied = await applyLayer(out, {
        source: store.read({ digest: layer.descriptor.digest }),
        diffId: layer.diffId,
      });
      expect(applied.diffId).toBe(layer.diffId);
      expect(snapshotTree(out)).toEqual(snapshotTree(tree));
    });
  }
});

describe('GNU tar reads our uncompressed layer', () => {
  it('lists every entry with its type, mode, link target and hardlink', async () => {
    const store = createMemoryStore();
    const layer = await buildLayer(tree, store, { compression: 'uncompressed' });
    const file = join(tmp.path, 'layer.tar');
    writeFileSync(file, await readAll(store.read({ digest: layer.descriptor.digest })));
    const listing = execFileSync('tar', ['--numeric-owner', '-tvf', file], { encoding: 'utf8' });
    const lines = listing.trim().split('\n');
    const find = (suffix: string) => lines.find((l) => l.endsWith(suffix));
    expect(find(' bin/suid')).toMatch(/^-rwsr-xr-x /);
    expect(find(' bin/sgid')).toMatch(/^-rwxr-sr-x /);
    expect(find(' tmp/')).toMatch(/^drwxrwxrwt /);
    expect(find(' ro/')).toMatch(/^dr-xr-xr-x /);
    expect(find(' bin/rel-link -> ../etc/hello.txt')).toMatch(/^lrwxrwxrwx /);
    expect(find(' etc/hard-b link to etc/hard-a')).toMatch(/^hrw-r--r-- /);
    expect(find(` ${'n'.repeat(120)}.txt`)).toBeDefined();
    expect(find(' ünïcødé-文件.txt')).toBeDefined();
    expect(lines.some((l) => l.endsWith('/leaf.txt') && l.length > 300)).toBe(true);
    expect(find(' fifo')).toMatch(/^p/);
    expect(find(' empty/')).toMatch(/^d/);
    // GNU tar extracts it too, into the same tree.
    const x = join(tmp.path, 'gnu-x');
    mkdirSync(x);
    execFileSync('tar', ['-xpf', file, '-C', x]);
    expect(snapshotTree(x)).toEqual(snapshotTree(tree));
  });
});

describe.runIf(havePeers('umoci'))('umoci unpacks our layer', () => {
  it('gives back the same tree from a hand-written OCI layout', async () => {
    const dir = join(tmp.path, 'layout');
    const store = await openLocalStore(dir);
    const layer = await buildLayer(tree, store, { compression: 'gzip' });
    const blobPath = (d: Digest) => join(dir, 'blobs', 'sha256', d.slice(7));
    const put = (bytes: Buffer) => {
      const d = sha256(bytes) as Digest;
      writeFileSync(blobPath(d), bytes);
      return { digest: d, size: bytes.length };
    };
    const config = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: {},
        rootfs: { type: 'layers', diff_ids: [layer.diffId] },
      }),
    );
    const cfg = put(config);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...cfg },
        layers: [layer.descriptor],
      }),
    );
    const man = put(manifest);
    writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    writeFileSync(
      join(dir, 'index.json'),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            ...man,
            annotations: { 'org.opencontainers.image.ref.name': 'rt' },
          },
        ],
      }),
    );
    const bundle = join(tmp.path, 'bundle');
    execFileSync('umoci', ['unpack', '--rootless', '--image', `${dir}:rt`, bundle], { stdio: 'pipe' });
    const got = snapshotTree(join(bundle, 'rootfs'));
    const want = snapshotTree(tree);
    expect(got).toEqual(want);
    // umoci checked the diffID itself; the blob is what the store holds.
    expect(sha256(readFileSync(blobPath(layer.descriptor.digest)))).toBe(layer.descriptor.digest);
    expect(sha256(gunzipSync(readFileSync(blobPath(layer.descriptor.digest))))).toBe(layer.diffId);
  });
});
