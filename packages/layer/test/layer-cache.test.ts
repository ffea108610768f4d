// The layer cache: an unchanged tree reuses the committed blob without reading any file; any change to content
// (even of the same size with the old mtime put back), size, mode, mtime, or the set of files is a miss; a cache
// record whose blob left the store, or that is unreadable, is a miss and not an error.
import { chmodSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openLocalStore } from '@lading/content-store';
import { makeTempDir, type TempDir } from '@lading/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

// Count the opens of tree files by the tar writer (its only way to read contents).
const opened: string[] = [];
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const openSync = (...args: Parameters<typeof fs.openSync>) => {
    opened.push(String(args[0]));
    return fs.openSync(...args);
  };
  return { ...fs, default: { ...fs, openSync }, openSync };
});

const { buildLayer } = await import('../src/index.js');

let tmp: TempDir;
let tree: string;
let layout: string;
let cacheDir: string;
const t0 = 1_650_000_000;

beforeAll(async () => {
  tmp = await makeTempDir('lading-layer-cache-');
  tree = join(tmp.path, 'tree');
  layout = join(tmp.path, 'layout');
  cacheDir = join(layout, '.lading', 'layer-cache');
});
afterAll(async () => {
  await tmp.cleanup();
});
beforeEach(() => {
  rmSync(layout, { recursive: true, force: true });
  rmSync(tree, { recursive: true, force: true });
  mkdirSync(join(tree, 'sub'), { recursive: true });
  writeFileSync(join(tree, 'a.txt'), 'alpha');
  writeFileSync(join(tree, 'sub', 'b.txt'), 'bravo');
  for (const p of ['a.txt', 'sub/b.txt', 'sub', '']) utimesSync(join(tree, p), t0, t0);
});

async function build(options: { compression?: 'gzip' | 'zstd' | 'uncompressed' } = {}) {
  const store = await openLocalStore(layout);
  opened.length = 0;
  const layer = await buildLayer(tree, store, { cacheDir, ...options });
  const reads = opened.filter((p) => p.startsWith(tree));
  return { layer, reads };
}

describe('layer cache', () => {
  it('a second build of an unchanged tree is a hit: same descriptor, no file opened', async () => {
    const cold = await build();
    expect(cold.layer.fromCache).toBe(false);
    expect(cold.reads.length).toBeGreaterThan(0);
    const warm = await build();
    expect(warm.layer.fromCache).toBe(true);
    expect(warm.reads).toEqual([]);
    expect(warm.layer.descriptor).toEqual(cold.layer.descriptor);
    expect(warm.layer.diffId).toBe(cold.layer.diffId);
    expect(warm.layer.uncompressedSize).toBe(cold.layer.uncompressedSize);
  });

  it('a hit keeps the time of the first build, as BuildKit keeps a cached layer creation time; a miss is new', async () => {
    const cold = await build();
    await new Promise((r) => setTimeout(r, 20));
    const warm = await build();
    expect(warm.layer.fromCache).toBe(true);
    expect(warm.layer.createdAt).toBe(cold.layer.createdAt);
    await new Promise((r) => setTimeout(r, 20));
    writeFileSync(join(tree, 'a.txt'), 'changed');
    const miss = await build();
    expect(miss.layer.fromCache).toBe(false);
    expect(Date.parse(miss.layer.createdAt)).toBeGreaterThan(Date.parse(cold.layer.createdAt));
  });

  const changes: [string, () => void][] = [
    [
      'content of the same size, old mtime put back',
      () => {
        // Only the ctime tells: the cold build ran in between, far longer than the file system's time granularity.
        const before = statSync(join(tree, 'sub/b.txt'), { bigint: true }).ctimeNs;
        writeFileSync(join(tree, 'sub/b.txt'), 'BRAVO');
        utimesSync(join(tree, 'sub/b.txt'), t0, t0);
        expect(statSync(join(tree, 'sub/b.txt'), { bigint: true }).ctimeNs).not.toBe(before);
      },
    ],
    ['size', () => writeFileSync(join(tree, 'a.txt'), 'alpha!')],
    ['mode', () => chmodSync(join(tree, 'a.txt'), 0o600)],
    ['mtime only', () => utimesSync(join(tree, 'sub/b.txt'), t0 + 1, t0 + 1)],
    ['a new file', () => writeFileSync(join(tree, 'sub/c.txt'), '')],
    ['a removed file', () => rmSync(join(tree, 'a.txt'))],
  ];
  for (const [what, change] of changes) {
    it(`a change of ${what} is a miss`, async () => {
      const cold = await build();
      change();
      const after = await build();
      expect(after.layer.fromCache).toBe(false);
      expect(after.reads.length).toBeGreaterThan(0);
      // And the changed tree is then cached in its turn.
      expect((await build()).layer.fromCache).toBe(true);
      // Every one of these changes the tar too (the mtime is in the header).
      expect(after.layer.diffId).not.toBe(cold.layer.diffId);
    });
  }

  it('other options are a miss', async () => {
    await build();
    const zstd = await build({ compression: 'zstd' });
    expect(zstd.layer.fromCache).toBe(false);
    expect(zstd.layer.descriptor.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+zstd');
  });

  it('a cached blob that left the store is a miss, and the blob is written again', async () => {
    const cold = await build();
    rmSync(join(layout, 'blobs', 'sha256', cold.layer.descriptor.digest.slice('sha256:'.length)));
    const again = await build();
    expect(again.layer.fromCache).toBe(false);
    expect(again.layer.descriptor).toEqual(cold.layer.descriptor);
    const store = await openLocalStore(layout);
    expect((await store.info(cold.layer.descriptor.digest)).size).toBe(cold.layer.descriptor.size);
  });

  it('an unreadable cache record is a miss, not an error', async () => {
    await build();
    for (const f of readdirSync(cacheDir)) writeFileSync(join(cacheDir, f), '{ not json');
    const again = await build();
    expect(again.layer.fromCache).toBe(false);
    expect((await build()).layer.fromCache).toBe(true);
  });
});
