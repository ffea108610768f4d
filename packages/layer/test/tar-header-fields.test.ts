import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, type TempDir } from '@lading/testkit';
import { type RawTarEntry, rawTar } from '@lading/testkit/layer-fixtures';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyLayer } from '../src/index.js';

// Header fields a tar can hold but no file can have: refused as bad input (exit 3) before anything is written,
// never a hang or an unexpected file-system error. What the fuzz test found, kept as named cases.
let tmp: TempDir;
beforeEach(async () => {
  tmp = await makeTempDir('lading-tar-fields-');
});
afterEach(async () => tmp.cleanup());

async function* once(b: Uint8Array): AsyncGenerator<Uint8Array> {
  yield b;
}

/** A one-entry tar whose header bytes `edit` changes, checksum recomputed. */
function edited(entry: RawTarEntry, edit: (header: Buffer) => void): Buffer {
  const tar = rawTar([entry]);
  edit(tar);
  tar.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of tar.subarray(0, 512)) sum += b;
  tar.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return tar;
}

describe('tar header fields no file can have', () => {
  it.each<[string, Buffer, string]>([
    [
      'a size field tar-stream reads as null (a high first byte that is not base-256)',
      edited({ name: 'f', content: 'x' }, (h) => {
        h.fill(0, 124, 136);
        h[124] = 0xc2;
      }),
      'its size is not a number',
    ],
    [
      'a modification time beyond what a Date holds (base-256, 2^88 seconds)',
      edited({ name: 'f', content: 'x' }, (h) => {
        h.fill(0xff, 136, 148);
        h[136] = 0x80;
      }),
      'its modification time is not a time',
    ],
    [
      'a symbolic link to nothing',
      rawTar([{ name: 'l', type: '2', linkname: '' }]),
      'it is a symbolic link to nothing',
    ],
  ])(
    '%s',
    async (_what, tar, why) => {
      const target = join(tmp.path, 'target');
      const e = await applyLayer(target, { source: once(tar) }, { rootless: true, sameOwner: false }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(e).toMatchObject({ code: 'BAD_TAR', kind: 'invalid-input' });
      expect((e as Error).message).toContain(why);
      expect(readdirSync(target)).toEqual([]);
    },
    10_000,
  );
});
