import { mkdtemp, readdir, readFile as readText, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeBlob } from './blob-helpers.js';
import { describeStoreConformance } from './conformance/index.js';
import { openLocalStore } from './local-store.js';

describeStoreConformance('local store (OCI layout)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lading-cs-'));
  return {
    store: await openLocalStore(join(dir, 'layout')),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

describe('openLocalStore layout', () => {
  it('writes oci-layout and an empty index, keeps labels and ingests out of blobs/', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lading-cs-'));
    try {
      const store = await openLocalStore(dir);
      expect(JSON.parse(await readText(join(dir, 'oci-layout'), 'utf8'))).toEqual({
        imageLayoutVersion: '1.0.0',
      });
      expect(JSON.parse(await readText(join(dir, 'index.json'), 'utf8'))).toMatchObject({
        schemaVersion: 2,
        manifests: [],
      });
      const desc = await writeBlob(store, Buffer.from('abc'), { labels: { a: 'b' } });
      const w = await store.writer({ ref: 'pending' });
      await w.write(Buffer.from('partial'));
      await w.close();
      expect(await readdir(join(dir, 'blobs'))).toEqual(['sha256']);
      expect(await readdir(join(dir, 'blobs', 'sha256'))).toEqual([desc.digest.slice(7)]);
      expect(await readText(join(dir, 'blobs', 'sha256', desc.digest.slice(7)), 'utf8')).toBe('abc');
      // reopening sees the same state
      const again = await openLocalStore(dir);
      expect((await again.info(desc.digest)).labels).toEqual({ a: 'b' });
      expect((await again.listIngests()).map((s) => s.ref)).toEqual(['pending']);
      // a file where the layout directory should be: mkdir's EEXIST, as it is
      await expect(openLocalStore(join(dir, 'oci-layout'))).rejects.toMatchObject({ code: 'EEXIST' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
