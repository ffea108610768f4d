import { randomUUID } from 'node:crypto';
import { link, readFile, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { LadingError } from '@lading/digest';

export interface LockOptions {
  /** A lock whose holder is gone (same host, pid not alive) or not refreshed for this long is broken. */
  readonly staleMs: number;
  /** How long to wait for a held lock before giving up (0: fail at once). */
  readonly waitMs: number;
  /** Error code and message used when the lock cannot be had. */
  readonly busyCode: string;
  readonly what: string;
}

/**
 * A lock file that appears whole: its body (pid, host, token) is written to a private file first and then hard-linked
 * to the lock path, which fails if the lock exists. A holder killed at any point leaves either no lock or a complete
 * one that names its dead pid, so the next writer breaks it at once. Works across processes on one host and over
 * most shared filesystems.
 */
export class FileLock {
  readonly path: string;
  readonly #token: string;
  #released = false;
  #lastRefresh = Date.now();

  private constructor(path: string, token: string) {
    this.path = path;
    this.#token = token;
  }

  static async acquire(path: string, options: LockOptions): Promise<FileLock> {
    const token = randomUUID();
    const body = JSON.stringify({ pid: process.pid, host: hostname(), token, at: new Date().toISOString() });
    const deadline = Date.now() + options.waitMs;
    let delay = 5;
    const draft = `${path}.${token}.draft`;
    await writeFile(draft, body, { flag: 'wx' });
    try {
      for (;;) {
        try {
          await link(draft, path);
          return new FileLock(path, token);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        }
        if (await breakIfStale(path, options.staleMs)) continue;
        if (Date.now() >= deadline) {
          throw new LadingError(
            options.busyCode,
            `${options.what} is locked by another writer (${path}); wait for it to finish, or remove the lock file if its process is gone`,
          );
        }
        await new Promise((r) => setTimeout(r, delay + Math.random() * delay));
        delay = Math.min(delay * 2, 100);
      }
    } finally {
      await unlink(draft).catch(() => {});
    }
  }

  /** Keeps a long-held lock from looking stale (cheap: at most once per interval). */
  refresh(intervalMs: number): void {
    const now = Date.now();
    if (now - this.#lastRefresh < intervalMs) return;
    this.#lastRefresh = now;
    utimes(this.path, now / 1000, now / 1000).catch(() => {});
  }

  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    try {
      const current = JSON.parse(await readFile(this.path, 'utf8')) as { token?: string };
      if (current.token === this.#token) await unlink(this.path);
    } catch {
      // Already gone (the directory was removed with it) or replaced: nothing to release.
    }
  }

  /** Forgets the lock without touching the file (its directory is being removed). */
  forget(): void {
    this.#released = true;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function breakIfStale(path: string, staleMs: number): Promise<boolean> {
  let text: string;
  let mtimeMs: number;
  try {
    [text, mtimeMs] = await Promise.all([readFile(path, 'utf8'), stat(path).then((s) => s.mtimeMs)]);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT'; // released meanwhile: try again
  }
  let holder: { pid?: number; host?: string; token?: string } = {};
  try {
    holder = JSON.parse(text);
  } catch {
    // Unreadable (written by an older version that created the file before its body): judged by age alone.
  }
  const dead = holder.host === hostname() && typeof holder.pid === 'number' && !pidAlive(holder.pid);
  const old = Date.now() - mtimeMs > staleMs;
  if (!dead && !old) return false;
  // Move it aside atomically; if what we moved is not what we judged, put it back.
  const aside = `${path}.stale-${randomUUID()}`;
  try {
    await rename(path, aside);
  } catch {
    return true;
  }
  const moved = await readFile(aside, 'utf8').catch(() => '');
  if (moved !== text) await link(aside, path).catch(() => {});
  await unlink(aside).catch(() => {});
  return true;
}
