import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createMemoryStore, writeBlob } from '@lading/content-store';
import { makeTempDir, type TempDir } from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheChains } from './cache-chains.js';
import { openLocalCacheTarget } from './cache-targets.js';
import { exportCache } from './export-cache.js';
import { importLocalCache } from './import-cache.js';

/** Every path under `dir`, sorted. */
async function tree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).sort();
}

describe('importLocalCache reads and never writes', () => {
  let dir: TempDir;
  beforeAll(async () => {
    dir = await makeTempDir('lading-cache-local-');
  });
  afterAll(async () => dir?.cleanup());

  it('a directory that does not exist: not found, and it is not created', async () => {
    const missing = join(dir.path, 'nowhere');
    await expect(importLocalCache(missing)).rejects.toMatchObject({ code: 'CACHE_NOT_FOUND' });
    await expect(readdir(missing)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('an exported cache: read by tag and by digest, the directory left as it was', async () => {
    const src = createMemoryStore();
    const layer = await writeBlob(src, new TextEncoder().encode('layer'), {
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    });
    const chains = new CacheChains();
    const rec = chains.add('sha256:'.padEnd(71, 'a'));
    chains.addResult(rec, { descriptors: [layer], provider: src });
    const cacheDir = join(dir.path, 'cache');
    const target = await openLocalCacheTarget(cacheDir);
    const res = await exportCache(chains, target);
    const before = await tree(cacheDir);
    const byTag = await importLocalCache(cacheDir);
    expect(byTag.form).toBe('image-manifest');
    expect(byTag.findResult(rec.digest)?.layers.map((d) => d.digest)).toEqual([layer.digest]);
    const byDigest = await importLocalCache(cacheDir, { digest: res.descriptor?.digest as string });
    expect(byDigest.findResult(rec.digest)).toBeDefined();
    await expect(importLocalCache(cacheDir, { tag: 'nope' })).rejects.toMatchObject({ kind: 'not-found' });
    await expect(importLocalCache(cacheDir, { digest: `sha256:${'0'.repeat(64)}` })).rejects.toMatchObject({
      code: 'CACHE_NOT_FOUND',
    });
    expect(await tree(cacheDir)).toEqual(before);
  });
});
