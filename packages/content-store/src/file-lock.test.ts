import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileLock } from './file-lock.js';

describe('FileLock', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lading-lock-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));
  const opts = { staleMs: 60_000, waitMs: 0, busyCode: 'BUSY', what: 'thing' };

  it('excludes a second holder until released', async () => {
    const path = join(dir, 'l');
    const a = await FileLock.acquire(path, opts);
    await expect(FileLock.acquire(path, opts)).rejects.toMatchObject({ code: 'BUSY' });
    const waiting = FileLock.acquire(path, { ...opts, waitMs: 5_000 });
    await new Promise((r) => setTimeout(r, 30));
    await a.release();
    const b = await waiting;
    expect(JSON.parse(await readFile(path, 'utf8')).pid).toBe(process.pid);
    await b.release();
  });

  it('breaks a lock whose process is gone, and one not refreshed for staleMs', async () => {
    const path = join(dir, 'l');
    // pid 2^22+1 is above Linux's pid_max default range: not alive.
    await writeFile(path, JSON.stringify({ pid: 4194305, host: hostname(), token: 'dead' }));
    const a = await FileLock.acquire(path, opts);
    await a.release();
    await writeFile(path, JSON.stringify({ pid: process.pid, host: 'elsewhere', token: 'old' }));
    await expect(FileLock.acquire(path, opts)).rejects.toMatchObject({ code: 'BUSY' });
    const past = Date.now() / 1000 - 120;
    await utimes(path, past, past);
    const b = await FileLock.acquire(path, opts);
    await b.release();
  });

  it('release leaves a lock that is not its own', async () => {
    const path = join(dir, 'l');
    const a = await FileLock.acquire(path, opts);
    await writeFile(path, JSON.stringify({ pid: process.pid, host: hostname(), token: 'someone-else' }));
    await a.release();
    expect(JSON.parse(await readFile(path, 'utf8')).token).toBe('someone-else');
  });
});
