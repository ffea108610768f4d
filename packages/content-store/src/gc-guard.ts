import { randomUUID } from 'node:crypto';
import { readdir, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { LadingError } from '@lading/digest';
import { FileLock, isStale, readHolder } from './file-lock.js';
import { ensureDir } from './write-file-atomic.js';

/**
 * Keeps garbage collection and the changes that give a blob a root (a commit under a lease, a lease record, an index
 * update, a label) apart, across processes, as containerd's metadata store does with its GC lock: changes hold it
 * shared, a GC holds it exclusive for its whole mark and sweep. So a GC sees every root that exists when it starts,
 * and none appears while it runs.
 *
 * On disk: `gc.lock` (a `FileLock`, one GC at a time) and one file per change in progress under `active/`. A change
 * writes its file, then checks for a running GC (and if there is one, removes its file and waits); a GC takes its
 * lock, then waits until `active/` holds no live file. Whichever came second sees the other.
 */
export class GcGuard {
  readonly #lockPath: string;
  readonly #activeDir: string;
  readonly #staleMs: number;

  constructor(locksDir: string, options: { readonly staleMs: number }) {
    this.#lockPath = join(locksDir, 'gc.lock');
    this.#activeDir = join(locksDir, 'active');
    this.#staleMs = options.staleMs;
  }

  /** Runs `change` while no GC runs (waiting up to `waitMs` for one to finish). */
  async shared<T>(change: () => Promise<T>, waitMs = 10 * 60 * 1000): Promise<T> {
    const deadline = Date.now() + waitMs;
    const token = randomUUID();
    const mine = join(this.#activeDir, token);
    const body = JSON.stringify({ pid: process.pid, host: hostname(), token });
    for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
      if (!(await this.#gcRunning())) {
        await writeFile(mine, body, { flag: 'wx' }).catch(async (error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw error;
          await ensureDir(this.#activeDir); // never the store's own directory: a removed store stays removed
          await writeFile(mine, body, { flag: 'wx' });
        });
        if (!(await this.#gcRunning())) {
          try {
            return await change();
          } finally {
            await unlink(mine).catch(() => {});
          }
        }
        await unlink(mine).catch(() => {}); // a GC started meanwhile: let it finish first
      }
      if (Date.now() >= deadline) {
        throw new LadingError(
          'GC_RUNNING',
          `garbage collection holds ${this.#lockPath}; try again when it is done`,
        );
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  /** Runs `gc` alone: no other GC, and no change in progress (those that started are waited for). */
  async exclusive<T>(gc: (refresh: () => void) => Promise<T>, waitMs = 60_000): Promise<T> {
    const lock = await FileLock.acquire(this.#lockPath, {
      staleMs: this.#staleMs,
      waitMs,
      busyCode: 'LOCK_BUSY',
      what: 'garbage collection',
    });
    const refresh = () => lock.refresh(Math.max(1000, this.#staleMs / 4));
    try {
      const deadline = Date.now() + waitMs;
      for (let delay = 2; ; delay = Math.min(delay * 2, 100)) {
        const live = await this.#liveChanges();
        if (live === 0) break;
        if (Date.now() >= deadline) {
          throw new LadingError(
            'LOCK_BUSY',
            `garbage collection waited ${waitMs} ms for ${live} change(s) in progress`,
          );
        }
        refresh();
        await new Promise((r) => setTimeout(r, delay));
      }
      return await gc(refresh);
    } finally {
      await lock.release();
    }
  }

  async #gcRunning(): Promise<boolean> {
    const holder = await readHolder(this.#lockPath);
    // A dead GC's lock does not hold changes back; the next GC to take it over waits for them.
    return holder !== undefined && !isStale(holder, this.#staleMs);
  }

  /** Changes in progress; the files of dead ones are removed. */
  async #liveChanges(): Promise<number> {
    let live = 0;
    for (const name of await readdir(this.#activeDir).catch(() => [] as string[])) {
      const path = join(this.#activeDir, name);
      const holder = await readHolder(path).catch(() => undefined);
      if (holder === undefined) continue;
      if (isStale(holder, this.#staleMs)) await unlink(path).catch(() => {});
      else live++;
    }
    return live;
  }
}
