import { readFile } from 'node:fs/promises';
import { FileLock, writeFileAtomic } from '@lading/content-store';
import { InvalidInputError } from '@lading/digest';

const lockOptions = (what: string) => ({ staleMs: 30_000, waitMs: 60_000, busyCode: 'STORE_LOCKED', what });

export async function readJsonFile<T>(path: string, fallback: T): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw e;
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new InvalidInputError('STORE_CORRUPT', `${path} is not valid JSON: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/**
 * Read-modify-write of a JSON file under a cross-process lock: the file is read again under the lock, so writers in
 * other processes lose nothing, and replaced by temp + rename, so a crash leaves the old or the new file.
 */
export async function updateJsonFile<T>(
  path: string,
  fallback: T,
  update: (value: T) => T | Promise<T>,
): Promise<T> {
  const lock = await FileLock.acquire(`${path}.lock`, lockOptions(path));
  try {
    const next = await update(await readJsonFile(path, fallback));
    await writeFileAtomic(path, `${JSON.stringify(next)}\n`);
    return next;
  } finally {
    await lock.release();
  }
}
