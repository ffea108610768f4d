import { createHash, randomUUID } from 'node:crypto';
import { link, readFile, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { LadingError } from '@lading/digest';
import { ensureDir } from './write-file-atomic.js';

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
 * one that names its dead pid, so the next writer takes it over at once. Works across processes on one host and over
 * most shared filesystems.
 *
 * Taking over a stale lock admits one new holder: the taker first holds `PATH.next-TOKEN` (a lock of the same kind,
 * named after the stale holder's token), checks under it that the stale lock is still there, unchanged, and then
 * replaces it with its own by one rename. Two takers of one stale lock meet on that name; a taker that judged an
 * older lock finds it gone. (The old way moved the stale file aside and, when it had moved a live lock by mistake,
 * put it back: in between, a third process could take the free path, and two held the lock.) A taker killed while
 * holding the `next-` lock leaves it with its dead pid, and the next taker takes that over the same way.
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
    let drafted = false;
    try {
      for (;;) {
        if (!drafted) {
          try {
            await writeFile(draft, body, { flag: 'wx' });
          } catch (error) {
            // The directory went away (an ingest committed by the last holder): make it again and retry.
            if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
            await ensureDir(dirname(path));
            continue;
          }
          drafted = true;
        }
        try {
          await link(draft, path);
          return new FileLock(path, token);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') {
            drafted = false; // the directory (and the draft with it) went away
            continue;
          }
          if (code !== 'EEXIST') throw error;
        }
        const held = await readHolder(path);
        if (held === undefined) continue; // released meanwhile
        if (isStale(held, options.staleMs)) {
          if (await takeOver(path, held, draft, options)) return new FileLock(path, token);
          continue;
        }
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

/** The holder named in a lock file, as read. */
export interface LockHolder {
  readonly text: string;
  readonly mtimeMs: number;
  readonly pid?: number;
  readonly host?: string;
  readonly token?: string;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lock file's holder, or undefined when there is none. */
export async function readHolder(path: string): Promise<LockHolder | undefined> {
  try {
    const [text, st] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    let parsed: { pid?: unknown; host?: unknown; token?: unknown } = {};
    try {
      parsed = JSON.parse(text);
    } catch {
      // Unreadable (an older version created the file before its body): judged by age alone.
    }
    return {
      text,
      mtimeMs: st.mtimeMs,
      ...(typeof parsed.pid === 'number' ? { pid: parsed.pid } : {}),
      ...(typeof parsed.host === 'string' ? { host: parsed.host } : {}),
      ...(typeof parsed.token === 'string' ? { token: parsed.token } : {}),
    };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Gone (same host, pid not alive) or not refreshed for `staleMs`. */
export function isStale(holder: LockHolder, staleMs: number): boolean {
  const dead = holder.host === hostname() && holder.pid !== undefined && !pidAlive(holder.pid);
  return dead || Date.now() - holder.mtimeMs > staleMs;
}

const takeoverBusy = 'LOCK_TAKEOVER_BUSY';

/** Replaces the stale lock `held` with `draft`, unless another taker is at it or got there first. */
async function takeOver(
  path: string,
  held: LockHolder,
  draft: string,
  options: LockOptions,
): Promise<boolean> {
  const name = held.token ?? createHash('sha256').update(held.text).digest('hex').slice(0, 32);
  let claim: FileLock;
  try {
    claim = await FileLock.acquire(`${path}.next-${name}`, {
      ...options,
      waitMs: 0,
      busyCode: takeoverBusy,
      what: `the takeover of ${path}`,
    });
  } catch (error) {
    if ((error as { code?: unknown }).code === takeoverBusy) return false;
    throw error;
  }
  try {
    // Under the claim only this process may replace `held`; it is replaced only if still there, unchanged, stale.
    const now = await readHolder(path);
    if (now === undefined || now.text !== held.text || !isStale(now, options.staleMs)) return false;
    await rename(draft, path);
    return true;
  } finally {
    await claim.release();
  }
}
