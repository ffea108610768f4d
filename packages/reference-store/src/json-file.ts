import { readFile } from 'node:fs/promises';
import { FileLock, writeFileAtomic } from '@lading/content-store';
import { InvalidInputError, isJsonObject, parseJson } from '@lading/digest';

const lockOptions = (what: string) => ({ staleMs: 30_000, waitMs: 60_000, busyCode: 'STORE_LOCKED', what });

/**
 * A JSON file of a store: `fallback` when it does not exist; bad syntax, or a non-object where `fallback` is an object,
 * is `InvalidInputError` `STORE_CORRUPT` naming the file.
 */
export async function readJsonFile<T>(path: string, fallback: T): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw e;
  }
  const value = parseJson(text, { what: path, code: 'STORE_CORRUPT' });
  // Callers read fields of the value: an object file that holds null or a list is as corrupt as bad syntax.
  if (isJsonObject(fallback) && !isJsonObject(value)) {
    throw new InvalidInputError('STORE_CORRUPT', `${path} must hold a JSON object; it is corrupt`);
  }
  return value as T;
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
