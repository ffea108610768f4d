import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Provider } from '@lading/content-store';
import { Digester, parseDigest } from '@lading/digest';
import type { Layer } from './layer.js';
import type { TreeEntry } from './tree-entry.js';

const cacheVersion = 'lading-layer-cache-v1';

/**
 * The cache key of a tree: every listed entry's path, type and permission bits, owner, size, mtime and ctime in
 * nanoseconds, inode, device, link count, rdev and link target, plus the options that change the bytes. A content
 * write changes mtime or ctime, so any change to any file gives another key; contents are never read.
 */
export function treeCacheKey(
  entries: readonly TreeEntry[],
  settings: Readonly<Record<string, unknown>>,
): string {
  const d = new Digester('sha256');
  d.update(Buffer.from(`${cacheVersion}\n${JSON.stringify(settings, Object.keys(settings).sort())}\n`));
  let batch = '';
  for (const e of entries) {
    batch += `${e.path}\0${e.mode}\0${e.uid}\0${e.gid}\0${e.size}\0${e.mtimeNs}\0${e.ctimeNs}\0${e.ino}\0${e.dev}\0${e.nlink}\0${e.rdev}\0${e.linkTarget ?? ''}\n`;
    if (batch.length > 1 << 16) {
      d.update(Buffer.from(batch));
      batch = '';
    }
  }
  d.update(Buffer.from(batch));
  return d.digest().slice('sha256:'.length);
}

interface CacheRecord {
  readonly version: string;
  readonly layer: Layer;
  /** When the blob was built (ISO 8601); records written before this field have none. */
  readonly createdAt?: string;
}

/** A layer of the cache, with the time its blob was first built (BuildKit keeps a cached layer's creation time). */
export interface CachedLayer extends Layer {
  readonly createdAt?: string;
}

/** A cached layer whose blob is still in the store, or undefined. */
export async function readCachedLayer(
  dir: string,
  key: string,
  store: Pick<Provider, 'info'>,
): Promise<CachedLayer | undefined> {
  let record: CacheRecord;
  try {
    record = JSON.parse(await readFile(join(dir, `${key}.json`), 'utf8')) as CacheRecord;
  } catch {
    return undefined;
  }
  if (record?.version !== cacheVersion || !record.layer?.descriptor) return undefined;
  try {
    const digest = parseDigest(record.layer.descriptor.digest);
    parseDigest(record.layer.diffId);
    const info = await store.info(digest);
    if (info.size !== record.layer.descriptor.size) return undefined;
  } catch {
    return undefined;
  }
  const createdAt = typeof record.createdAt === 'string' && !Number.isNaN(Date.parse(record.createdAt));
  return createdAt ? { ...record.layer, createdAt: record.createdAt as string } : record.layer;
}

/** Records a layer under a tree key (temp file + rename, so a reader never sees half a record). */
export async function writeCachedLayer(
  dir: string,
  key: string,
  layer: Layer,
  options: { createdAt?: string } = {},
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${key}.${process.pid}.${Date.now()}.tmp`);
  const record: CacheRecord = {
    version: cacheVersion,
    layer: { descriptor: layer.descriptor, diffId: layer.diffId, uncompressedSize: layer.uncompressedSize },
    ...(options.createdAt !== undefined ? { createdAt: options.createdAt } : {}),
  };
  await writeFile(tmp, `${JSON.stringify(record)}\n`);
  await rename(tmp, join(dir, `${key}.json`));
}
