// The layer hot path: parallel gzip gives the same bytes for any worker count and pigz decodes them to the input;
// the tree key of the layer cache sees every change and only changes; a broken tarball leaves nothing in the store.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openLocalStore } from '@lading/content-store';
import { InvalidInputError } from '@lading/digest';
import { makeTempDir, requirePeer, type TempDir } from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compressionBlockSize, compressStream } from './compress.js';
import { layerFromTarball } from './layer-from-tarball.js';
import { treeMetadataKey } from './tree-key.js';

let tmp: TempDir;
beforeAll(async () => {
  tmp = await makeTempDir('lading-layer-hot-');
});
afterAll(async () => {
  await tmp.cleanup();
});

/** Text-like bytes (compressible, not trivially) from a fixed linear congruential sequence. */
function sampleBytes(length: number): Buffer {
  const words = ['layer', 'tar', 'gzip', 'blob', 'digest', 'index', 'manifest', '\n', ' ', 'usr/lib/'];
  const out = Buffer.alloc(length);
  let x = 12345;
  let pos = 0;
  while (pos < length) {
    x = (x * 1103515245 + 12345) >>> 0;
    const w = words[x % words.length] as string;
    pos += out.write(x % 7 === 0 ? String(x) : w, pos);
  }
  return out;
}

async function gzipAll(data: Buffer, workers: number, chunk: number): Promise<Buffer> {
  async function* source() {
    for (let off = 0; off < data.length; off += chunk) yield data.subarray(off, off + chunk);
  }
  const parts: Uint8Array[] = [];
  for await (const c of compressStream(source(), { compression: 'gzip', workers })) parts.push(c);
  return Buffer.concat(parts);
}

describe('parallel gzip', () => {
  it('gives the same bytes for 1, 2 and 3 workers, and pigz decodes them to the input', async () => {
    const pigz = requirePeer('pigz');
    // Several whole blocks and a partial last one.
    const data = sampleBytes(3 * compressionBlockSize + 123_457);
    const one = await gzipAll(data, 1, 1 << 20);
    const two = await gzipAll(data, 2, 300_001);
    const three = await gzipAll(data, 3, 5 << 20);
    expect(two.equals(one)).toBe(true);
    expect(three.equals(one)).toBe(true);
    expect(one.length).toBeLessThan(data.length / 2);
    const back = execFileSync(pigz, ['-dc'], { input: one, maxBuffer: 64 << 20 });
    expect(back.equals(data)).toBe(true);
  });
});

describe('tree key of the layer cache', () => {
  const t0 = 1_650_000_000;
  const makeTree = (name: string) => {
    const root = join(tmp.path, name);
    mkdirSync(join(root, 'a', 'deep'), { recursive: true });
    mkdirSync(join(root, 'skip'), { recursive: true });
    writeFileSync(join(root, 'a', 'deep', 'f.txt'), 'hello');
    writeFileSync(join(root, 'skip', 'g.txt'), 'ignored');
    writeFileSync(join(root, 'é.txt'), 'unicode');
    writeFileSync(join(root, '\u{1f600}.txt'), 'astral');
    symlinkSync('a/deep/f.txt', join(root, 'link'));
    utimesSync(join(root, 'a', 'deep', 'f.txt'), t0, t0);
    return root;
  };

  it('is stable for an unchanged tree and changes with content, a new file and a link', () => {
    const root = makeTree('keyed');
    const key = () => treeMetadataKey(root, {}, { level: 3 });
    const first = key();
    expect(key()).toBe(first);
    expect(treeMetadataKey(root, {}, { level: 4 })).not.toBe(first);
    // Same size, old mtime put back: ctime still moves.
    writeFileSync(join(root, 'a', 'deep', 'f.txt'), 'HELLO');
    utimesSync(join(root, 'a', 'deep', 'f.txt'), t0, t0);
    const afterWrite = key();
    expect(afterWrite).not.toBe(first);
    writeFileSync(join(root, 'a', 'new.txt'), '');
    expect(key()).not.toBe(afterWrite);
  });

  it('ignores excluded paths and agrees with include patterns that select everything', () => {
    const root = makeTree('filtered');
    const excluded = treeMetadataKey(root, { exclude: ['skip'] }, {});
    writeFileSync(join(root, 'skip', 'g.txt'), 'changed, but excluded');
    writeFileSync(join(root, 'skip', 'more.txt'), '');
    expect(treeMetadataKey(root, { exclude: ['skip'] }, {})).toBe(excluded);
    // `**` includes every path: the general walk (with include) and the direct one list the same entries.
    expect(treeMetadataKey(root, { include: ['**'] }, {})).toBe(treeMetadataKey(root, {}, {}));
    expect(readdirSync(root).length).toBe(5);
  });
});

describe('layer commit', () => {
  it('aborts the ingest of a broken gzip tarball: a typed error and nothing left in the store', async () => {
    const layout = join(tmp.path, 'layout');
    const store = await openLocalStore(layout);
    const good = execFileSync('gzip', ['-c'], { input: Buffer.alloc(10240) });
    const broken = Buffer.concat([good.subarray(0, 20), Buffer.from('not deflate data at all')]);
    async function* source() {
      yield broken;
    }
    await expect(layerFromTarball(source(), store)).rejects.toBeInstanceOf(InvalidInputError);
    expect(readdirSync(join(layout, 'blobs', 'sha256'))).toEqual([]);
    expect(readdirSync(join(layout, 'ingest'))).toEqual([]);
  });
});
