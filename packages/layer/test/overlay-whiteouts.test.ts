// applyLayer with `whiteouts: { overlay }`: the layer is kept as moby's overlay2 stores it in an upper directory
// (pkg/archive/archive_linux.go): `.wh.x` as a character device 0/0 at `x`, `.wh..wh..opq` handed to markOpaque.
// (The data-root tests in @lading/docker-engine compare such directories with the ones dockerd writes.)
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, type TempDir } from '@lading/testkit';
import { rawTar } from '@lading/testkit/layer-fixtures';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyLayer } from '../src/index.js';

async function* bytes(b: Uint8Array): AsyncGenerator<Uint8Array> {
  yield b;
}

const isRoot = process.getuid?.() === 0;
let tmp: TempDir;
beforeEach(async () => {
  tmp = await makeTempDir('lading-overlay-wh-');
});
afterEach(async () => {
  await tmp.cleanup();
});

describe('overlay whiteouts', () => {
  it.skipIf(!isRoot)('keeps whiteouts as overlayfs reads them, and what the layer itself adds', async () => {
    const opaque: string[] = [];
    const tar = rawTar([
      { name: 'etc/', type: '5' },
      { name: 'etc/.wh.gone' },
      { name: 'etc/kept', content: 'k' },
      { name: 'etc/.wh.kept' },
      { name: 'var/lib/.wh..wh..opq' },
      { name: 'var/lib/new', content: 'n' },
    ]);
    const target = join(tmp.path, 'diff');
    await applyLayer(
      target,
      { source: bytes(tar), uncompressed: true },
      {
        whiteouts: { overlay: { markOpaque: (dir) => void opaque.push(dir) } },
      },
    );
    const gone = lstatSync(join(target, 'etc', 'gone'));
    expect(gone.isCharacterDevice()).toBe(true);
    expect(gone.rdev).toBe(0);
    expect(gone.mode & 0o7777).toBe(0);
    // A whiteout hides lower layers only: the file this layer put there stays.
    expect(readFileSync(join(target, 'etc', 'kept'), 'utf8')).toBe('k');
    // The opaque directory's parents are made (no entry for them in the layer), and it is marked.
    expect(opaque).toEqual([join(target, 'var', 'lib')]);
    expect(readdirSync(join(target, 'var', 'lib'))).toEqual(['new']);
    expect(readdirSync(join(target, 'etc')).sort()).toEqual(['gone', 'kept']);
  });

  it('refuses overlay whiteouts without root (they are device nodes)', async () => {
    const e = await applyLayer(
      join(tmp.path, 'diff'),
      { source: bytes(rawTar([{ name: '.wh.x' }])), uncompressed: true },
      { rootless: true, whiteouts: { overlay: { markOpaque: () => {} } } },
    ).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'OVERLAY_WHITEOUTS_NEED_ROOT' });
  });

  it('takes an uncompressed source as a tar even when it starts like gzip', async () => {
    // A first entry whose name begins with the gzip magic: detection would take the tar for gzip.
    const tar = Buffer.from(rawTar([{ name: 'GZname', content: 'x' }]));
    tar[0] = 0x1f;
    tar[1] = 0x8b;
    tar.fill(0x20, 148, 156);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += tar[i] as number;
    tar.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    const target = join(tmp.path, 'plain');
    await applyLayer(target, { source: bytes(tar), uncompressed: true }, { rootless: true });
    expect(readdirSync(target)).toHaveLength(1);
  });
});
