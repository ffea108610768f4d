import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Digest, InvalidInputError, NotFoundError } from '@lading/digest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReferenceStore } from './tag-store.js';

const id = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}` as Digest;
const D = `sha256:${'d'.repeat(64)}`;
let dir: string;
let path: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lading-tags-'));
  path = join(dir, 'repositories.json');
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

describe('ReferenceStore', () => {
  it("writes Docker's repositories.json shape with familiar names; a bare name means :latest", async () => {
    const s = await ReferenceStore.open(path);
    await s.addTag('ubuntu', id(1));
    await s.addTag('localhost:5000/a/b:v2', id(2));
    await s.addDigest(`ubuntu@${D}`, id(1));
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({
      Repositories: {
        ubuntu: { 'ubuntu:latest': id(1), [`ubuntu@${D}`]: id(1) },
        'localhost:5000/a/b': { 'localhost:5000/a/b:v2': id(2) },
      },
    });
    expect(await s.get('docker.io/library/ubuntu:latest')).toBe(id(1));
    expect(await s.get('ubuntu')).toBe(id(1));
  });

  it('moves a tag only with force; a digest reference never moves', async () => {
    const s = await ReferenceStore.open(path);
    await s.addTag('a:1', id(1));
    await s.addTag('a:1', id(1)); // same image: fine
    await expect(s.addTag('a:1', id(2))).rejects.toMatchObject({ code: 'REFERENCE_CONFLICT' });
    await s.addTag('a:1', id(2), { force: true });
    expect(await s.get('a:1')).toBe(id(2));
    await s.addDigest(`a@${D}`, id(1));
    await expect(s.addDigest(`a@${D}`, id(2), { force: true })).rejects.toMatchObject({
      code: 'REFERENCE_CONFLICT',
    });
  });

  it('refuses a digest reference as a tag, and a tag as a digest reference', async () => {
    const s = await ReferenceStore.open(path);
    await expect(s.addTag(`a@${D}`, id(1))).rejects.toBeInstanceOf(InvalidInputError);
    await expect(s.addDigest('a:1', id(1))).rejects.toBeInstanceOf(InvalidInputError);
    await expect(s.addTag('Bad/Name', id(1))).rejects.toBeInstanceOf(InvalidInputError);
    await expect(s.addTag('a', 'sha256:nope' as Digest)).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('refuses the repository name sha256, as moby does (it reads like an image ID)', async () => {
    const s = await ReferenceStore.open(path);
    for (const name of ['sha256', 'sha256:1', 'docker.io/library/sha256:x']) {
      await expect(s.addTag(name, id(1))).rejects.toMatchObject({ code: 'AMBIGUOUS_TAG' });
    }
    await expect(s.addDigest(`sha256@${D}`, id(1))).rejects.toMatchObject({ code: 'AMBIGUOUS_TAG' });
    // Only the familiar name is ambiguous: another registry's or namespace's sha256 is a plain name.
    await s.addTag('example.com/sha256:1', id(1));
    await s.addTag('team/sha256:1', id(1));
    await expect(readFile(path, 'utf8')).resolves.not.toContain('"sha256"');
  });

  it('lists by id and by name, sorted; deletes', async () => {
    const s = await ReferenceStore.open(path);
    await s.addTag('b:2', id(1));
    await s.addTag('a:1', id(1));
    await s.addTag('a:2', id(2));
    expect((await s.referencesById(id(1))).map((r) => r.tag)).toEqual(['1', '2']);
    expect((await s.referencesByName('a')).map((r) => [r.reference.tag, r.id])).toEqual([
      ['1', id(1)],
      ['2', id(2)],
    ]);
    expect(await s.delete('a:1')).toBe(true);
    expect(await s.delete('a:1')).toBe(false);
    await expect(s.get('a:1')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('a corrupt file is a typed error, not a crash', async () => {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path, '{"Repositories": ');
    const s = await ReferenceStore.open(path);
    await expect(s.get('a')).rejects.toMatchObject({ code: 'STORE_CORRUPT' });
  });

  it('so are a file of null and one nested a million levels deep', async () => {
    const { writeFile } = await import('node:fs/promises');
    for (const text of ['null', `{"Repositories":${'['.repeat(1e6)}${']'.repeat(1e6)}}`]) {
      await writeFile(path, text);
      const s = await ReferenceStore.open(path);
      await expect(s.get('a')).rejects.toMatchObject({ code: 'STORE_CORRUPT' });
      await expect(s.addTag('a', id(1))).rejects.toMatchObject({ code: 'STORE_CORRUPT' });
    }
  });
});

const child = new URL('../test/fixtures/tag-child.mjs', import.meta.url).pathname;

function runChild(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (b) => (err += b));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(code) : reject(new Error(`child exited ${code}: ${err}`))));
  });
}

describe('ReferenceStore across processes', () => {
  it('8 processes tagging at once lose nothing and leave valid JSON', async () => {
    await Promise.all(Array.from({ length: 8 }, (_, w) => runChild([path, String(w), '10'])));
    const file = JSON.parse(await readFile(path, 'utf8'));
    const s = await ReferenceStore.open(path);
    for (let w = 0; w < 8; w++) {
      expect(Object.keys(file.Repositories[`example.com/w${w}`])).toHaveLength(10);
      expect(await s.get(`example.com/w${w}:t9`)).toBe(id(w * 1000 + 9));
    }
  }, 60_000);

  it('kill -9 in the middle of writes leaves the previous file intact', async () => {
    const s = await ReferenceStore.open(path);
    await s.addTag('keep:me', id(7));
    // Several rounds at different moments: a kill between creating the lock and writing its body must not
    // leave a lock that blocks the next writer for the whole stale period.
    for (let round = 0; round < 8; round++) {
      const p = spawn(process.execPath, [child, path, '1', '50', 'loop'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      // Wait for some writes to have happened, then kill while it keeps writing.
      await new Promise<void>((resolve) => p.stdout.once('data', () => resolve()));
      await new Promise((r) => setTimeout(r, 5 + round * 7));
      p.kill('SIGKILL');
      await new Promise((r) => p.once('close', r));
      const file = JSON.parse(await readFile(path, 'utf8'));
      expect(file.Repositories.keep).toEqual({ 'keep:me': id(7) });
      // The store stays usable: a stale lock from the killed writer is broken.
      await s.addTag(`after:${round}`, id(round));
    }
    expect(await s.get('after:7')).toBe(id(7));
  }, 60_000);
});
