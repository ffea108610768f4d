// A layer's tap: told the tar's exact length before the first byte, then handed every tar chunk while the layer is
// written, each chunk its own to keep (kept chunks still hash to the diff ID after the build); a cache hit never
// calls it; a tap that fails stops the build and leaves no blob.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openLocalStore } from '@lading/content-store';
import { makeTempDir, type TempDir } from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildLayer,
  type TarTee,
  tarItemsFromEntries,
  tarStreamSize,
  walkTree,
  writeTar,
} from '../src/index.js';

let tmp: TempDir;
let tree: string;

beforeAll(async () => {
  tmp = await makeTempDir('lading-layer-tap-');
  tree = join(tmp.path, 'tree');
  mkdirSync(join(tree, 'd'.repeat(120), 'nested'), { recursive: true });
  // Several MiB in distinct bytes, so a chunk whose memory were reused would change what a tap kept.
  for (let i = 0; i < 6; i++) {
    const b = Buffer.alloc((1 << 20) + 777 * i);
    for (let j = 0; j < b.length; j += 4096) b.writeUInt32LE((i << 24) ^ j, j);
    writeFileSync(join(tree, `blob-${i}`), b);
  }
  writeFileSync(join(tree, 'empty'), '');
  // A name past USTAR's 100 bytes and a non-ASCII one: PAX records, which change the header length.
  writeFileSync(join(tree, 'd'.repeat(120), 'nested', `${'n'.repeat(90)}.txt`), 'long');
  writeFileSync(join(tree, 'ünïcødé'), 'x');
  symlinkSync('blob-0', join(tree, 'link'));
});
afterAll(async () => {
  await tmp.cleanup();
});

function tarBytes(dir: string): Promise<Buffer> {
  return (async () => {
    const parts: Buffer[] = [];
    for await (const c of writeTar(tarItemsFromEntries(walkTree(dir), dir, {}))) parts.push(Buffer.from(c));
    return Buffer.concat(parts);
  })();
}

describe('tarStreamSize', () => {
  it('is the length of the stream writeTar makes, PAX headers and padding included', async () => {
    const items = [...tarItemsFromEntries(walkTree(tree), tree, {})];
    expect(items.some((i) => i.header.name.length > 100)).toBe(true);
    expect(tarStreamSize(items)).toBe((await tarBytes(tree)).length);
  });
});

describe('buildLayer with a tap', () => {
  it('gives the exact length first, then chunks that still hash to the diff ID once the build is done', async () => {
    const store = await openLocalStore(join(tmp.path, 'layout-a'));
    const seen: number[] = [];
    const kept: Uint8Array[] = [];
    const layer = await buildLayer(tree, store, {
      compression: 'gzip',
      tap: (size) => {
        seen.push(size);
        return (chunk) => {
          kept.push(chunk);
        };
      },
    });
    const all = Buffer.concat(kept);
    expect(seen).toEqual([all.length]);
    expect(all.length).toBe(layer.uncompressedSize);
    expect(`sha256:${createHash('sha256').update(all).digest('hex')}`).toBe(layer.diffId);
    // An independent reading of the same tree gives the same bytes.
    expect(all.equals(await tarBytes(tree))).toBe(true);
  });

  it('is not called for a layer the cache answers', async () => {
    const dir = join(tmp.path, 'layout-b');
    const store = await openLocalStore(dir);
    const cacheDir = join(dir, '.lading', 'layer-cache');
    const first = await buildLayer(tree, store, { cacheDir, tap: () => undefined });
    let called = 0;
    const again = await buildLayer(tree, store, {
      cacheDir,
      tap: () => {
        called++;
        return undefined;
      },
    });
    expect(again.fromCache).toBe(true);
    expect(again.diffId).toBe(first.diffId);
    expect(called).toBe(0);
  });

  it('stops the build when the tee fails, and no blob is committed', async () => {
    const dir = join(tmp.path, 'layout-c');
    const store = await openLocalStore(dir);
    let n = 0;
    const tee: TarTee = () => {
      if (++n === 3) throw new Error('the daemon went away');
    };
    await expect(buildLayer(tree, store, { tap: () => tee })).rejects.toThrow('the daemon went away');
    expect(readdirSync(join(dir, 'blobs', 'sha256'))).toEqual([]);
  });
});
