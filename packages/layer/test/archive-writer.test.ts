// The image-archive writer: GNU tar (the oracle) lists what was written, with fixed owners and times, and a body
// that does not match its size is an IntegrityError.
import { execFileSync } from 'node:child_process';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { IntegrityError } from '@lading/digest';
import { makeTempDir, type TempDir } from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchiveWriter } from '../src/index.js';

let tmp: TempDir;
beforeAll(async () => {
  tmp = await makeTempDir('lading-archive-writer-');
});
afterAll(async () => tmp.cleanup());

describe('ArchiveWriter', () => {
  it('writes directories, files and symlinks that GNU tar lists and extracts', async () => {
    const file = join(tmp.path, 'image.tar');
    const fh = await open(file, 'w');
    const tar = new ArchiveWriter(fh, { mtime: 1_700_000_000, fileMode: 0o600 });
    await tar.directory('blobs');
    await tar.bytes('blobs/index.json', new TextEncoder().encode('{"schemaVersion":2}\n'));
    async function* chunks() {
      yield new Uint8Array(700).fill(1);
      yield new Uint8Array(300).fill(2);
    }
    await tar.file('blobs/big', 1000, chunks());
    await tar.symlink('latest', 'blobs/big');
    await tar.end();
    await fh.close();
    const listing = execFileSync('tar', ['--numeric-owner', '--full-time', '-tvf', file], {
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .map((l) => l.replace(/\s+/g, ' '));
    const when = execFileSync('date', ['-d', '@1700000000', '+%Y-%m-%d %H:%M:%S'], {
      encoding: 'utf8',
    }).trim();
    expect(listing).toEqual([
      `drwxr-xr-x 0/0 0 ${when} blobs/`,
      `-rw------- 0/0 20 ${when} blobs/index.json`,
      `-rw------- 0/0 1000 ${when} blobs/big`,
      `l--------- 0/0 0 ${when} latest -> blobs/big`,
    ]);
    const out = join(tmp.path, 'out');
    execFileSync('mkdir', [out]);
    execFileSync('tar', ['-xf', file, '-C', out]);
    expect(execFileSync('cat', [join(out, 'blobs', 'index.json')], { encoding: 'utf8' })).toBe(
      '{"schemaVersion":2}\n',
    );
    expect(execFileSync('wc', ['-c', join(out, 'latest')], { encoding: 'utf8' })).toMatch(/^1000 /);
  });

  it('refuses a body longer or shorter than its size with an IntegrityError', async () => {
    const fh = await open(join(tmp.path, 'bad.tar'), 'w');
    try {
      const tar = new ArchiveWriter(fh);
      await expect(tar.file('long', 3, [new Uint8Array(4)])).rejects.toBeInstanceOf(IntegrityError);
      await expect(tar.file('short', 5, [new Uint8Array(4)])).rejects.toMatchObject({
        code: 'TAR_ENTRY_SIZE',
      });
    } finally {
      await fh.close();
    }
  });
});
