import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { writeFileAtomic } from './write-file-atomic.js';

it('writeFileAtomic replaces the file and leaves no temp behind', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lading-wfa-'));
  try {
    const path = join(dir, 'index.json');
    await writeFile(path, 'old');
    await Promise.all(Array.from({ length: 8 }, (_, i) => writeFileAtomic(path, `new-${i}`)));
    expect(await readFile(path, 'utf8')).toMatch(/^new-[0-7]$/);
    expect(await readdir(dir)).toEqual(['index.json']);
    await expect(writeFileAtomic(join(dir, 'missing', 'x'), 'y')).rejects.toMatchObject({ code: 'ENOENT' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
