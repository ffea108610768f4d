import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Provider } from '@lading/content-store';
import { parseDigest } from '@lading/digest';
import type { Layer } from './layer.js';

const cacheVersion = 'lading-layer-cache-v1';

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
