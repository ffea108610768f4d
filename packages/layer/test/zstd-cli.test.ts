// zstd layers through the zstd CLI: the blob is what `tar | zstd -3 -T2` makes of the same tar (the CLI itself is
// the oracle, run here on the tar bytes), it decompresses to the diff ID, it does not depend on the thread count;
// LADING_ZSTD=off keeps the in-process binding; a command that fails is ZSTD_FAILED and no blob is committed.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openLocalStore } from '@lading/content-store';
import { isLadingError } from '@lading/digest';
import { havePeers, makeTempDir, type TempDir } from '@lading/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildLayer, decompressStream, tarItemsFromEntries, walkTree, writeTar } from '../src/index.js';

const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe.runIf(havePeers('zstd'))('zstd layers through the zstd CLI', () => {
  let tmp: TempDir;
  let tree: string;
  let tar: Buffer;
  const saved = process.env.LADING_ZSTD;

  beforeAll(async () => {
    tmp = await makeTempDir('lading-zstd-cli-');
    tree = join(tmp.path, 'tree');
    mkdirSync(join(tree, 'etc'), { recursive: true });
    const text = Array.from({ length: 200_000 }, (_, i) => `line ${i} of a file that compresses\n`).join('');
    writeFileSync(join(tree, 'etc', 'words'), text);
    const noise = Buffer.alloc(3 << 20);
    for (let i = 0; i < noise.length; i += 32) createHash('sha256').update(String(i)).digest().copy(noise, i);
    writeFileSync(join(tree, 'noise'), noise);
    const parts: Buffer[] = [];
    for await (const c of writeTar(tarItemsFromEntries(walkTree(tree), tree, {}))) parts.push(Buffer.from(c));
    tar = Buffer.concat(parts);
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.LADING_ZSTD;
    else process.env.LADING_ZSTD = saved;
  });
  afterAll(async () => {
    await tmp.cleanup();
  });

  const blobOf = (dir: string, digest: string) =>
    readFileSync(join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length)));

  it('the blob is what zstd -3 -T2 makes of the tar, and it decompresses to the diff ID', async () => {
    delete process.env.LADING_ZSTD;
    const dir = join(tmp.path, 'cli');
    const layer = await buildLayer(tree, await openLocalStore(dir), { compression: 'zstd' });
    expect(layer.diffId).toBe(sha256(tar));
    const blob = blobOf(dir, layer.descriptor.digest);
    expect(
      blob.equals(execFileSync('zstd', ['-3', '-T2', '-c', '-q'], { input: tar, maxBuffer: 1 << 30 })),
    ).toBe(true);
    expect(sha256(execFileSync('zstd', ['-d', '-c', '-q'], { input: blob, maxBuffer: 1 << 30 }))).toBe(
      layer.diffId,
    );
    expect(layer.descriptor.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+zstd');
    // lading's own reader takes the one-frame blob too.
    const { stream } = await decompressStream(
      (async function* () {
        yield blob;
      })(),
    );
    const back: Buffer[] = [];
    for await (const c of stream) back.push(Buffer.from(c));
    expect(Buffer.concat(back).equals(tar)).toBe(true);
  });

  it('one thread or two: the same bytes; level 9 is another blob of the same tar', async () => {
    delete process.env.LADING_ZSTD;
    const one = await buildLayer(tree, await openLocalStore(join(tmp.path, 'one')), {
      compression: 'zstd',
      workers: 1,
    });
    const two = await buildLayer(tree, await openLocalStore(join(tmp.path, 'two')), {
      compression: 'zstd',
      workers: 2,
    });
    expect(one.descriptor.digest).toBe(two.descriptor.digest);
    const dir = join(tmp.path, 'l9');
    const high = await buildLayer(tree, await openLocalStore(dir), { compression: 'zstd', level: 9 });
    expect(high.descriptor.digest).not.toBe(one.descriptor.digest);
    expect(high.diffId).toBe(one.diffId);
    const blob = blobOf(dir, high.descriptor.digest);
    expect(
      blob.equals(execFileSync('zstd', ['-9', '-T2', '-c', '-q'], { input: tar, maxBuffer: 1 << 30 })),
    ).toBe(true);
  });

  it('LADING_ZSTD=off compresses in-process: independent frames that still decompress to the diff ID', async () => {
    process.env.LADING_ZSTD = 'off';
    const dir = join(tmp.path, 'off');
    const layer = await buildLayer(tree, await openLocalStore(dir), { compression: 'zstd' });
    const blob = blobOf(dir, layer.descriptor.digest);
    expect(
      blob.equals(execFileSync('zstd', ['-3', '-T2', '-c', '-q'], { input: tar, maxBuffer: 1 << 30 })),
    ).toBe(false);
    expect(sha256(execFileSync('zstd', ['-d', '-c', '-q'], { input: blob, maxBuffer: 1 << 30 }))).toBe(
      layer.diffId,
    );
  });

  it.each([
    ['a command that fails', '/bin/false'],
    ['a command that is not there', '/nonexistent/zstd'],
  ])('%s: ZSTD_FAILED, and no blob is committed', async (_what, command) => {
    process.env.LADING_ZSTD = command;
    const dir = join(tmp.path, `fail-${readdirSync(tmp.path).length}`);
    const e = await buildLayer(tree, await openLocalStore(dir), { compression: 'zstd' }).catch(
      (x: unknown) => x,
    );
    expect(isLadingError(e) && e.code).toBe('ZSTD_FAILED');
    expect((e as Error).message).toContain(command);
    expect(readdirSync(join(dir, 'blobs', 'sha256'))).toEqual([]);
  });
});
