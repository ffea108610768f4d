import { randomUUID } from 'node:crypto';
import { type Descriptor, isNotFoundError } from '@lading/digest';
import type { BlobSink, BlobSource, Ingester, Provider, PutOptions, PutResult } from './types.js';
import { requireDigest, requireSize } from './validate.js';

/** `BlobSink.has` for a store: present when `info` finds the digest with the descriptor's size. */
export async function storeHas(store: Provider, desc: Descriptor): Promise<boolean> {
  const digest = requireDigest(desc.digest);
  try {
    const info = await store.info(digest);
    return info.size === desc.size;
  } catch (error) {
    if (isNotFoundError(error)) return false;
    throw error;
  }
}

/** `BlobSink.put` for a store: 'exists' when present, else streams the source into a verified commit. */
export function storePut(
  store: Provider & Ingester,
  desc: Descriptor,
  source: BlobSource,
  options: PutOptions = {},
): Promise<PutResult> {
  const has = (d: Descriptor) =>
    typeof (store as Partial<BlobSink>).has === 'function'
      ? (store as unknown as BlobSink).has(d)
      : storeHas(store, d);
  return ingestBlob(store, desc, source, options, has);
}

/**
 * Streams `source` into a verified commit unless `has` finds the blob, before the write and again once the
 * ingest is held (another writer may have committed it meanwhile).
 */
export async function ingestBlob(
  ingester: Ingester,
  desc: Descriptor,
  source: BlobSource,
  options: PutOptions,
  has: (d: Descriptor) => Promise<boolean>,
): Promise<PutResult> {
  const digest = requireDigest(desc.digest);
  const size = requireSize(desc.size);
  if (await has(desc)) return 'exists';
  const writer = await ingester.writer({
    ref: `put-${digest}-${randomUUID()}`,
    expected: { digest, size },
    ...(options.signal ? { signal: options.signal } : {}),
  });
  try {
    // Another writer may have committed it while this one waited for its ingest.
    if (await has(desc)) {
      await writer.abort();
      return 'exists';
    }
    let bytes = 0;
    for await (const chunk of source.open(options.signal ? { signal: options.signal } : {})) {
      options.signal?.throwIfAborted();
      await writer.write(chunk);
      bytes += chunk.byteLength;
      options.onProgress?.({ digest, bytes, total: size });
    }
    await writer.commit({ digest, size });
    return 'written';
  } catch (error) {
    await writer.abort().catch(() => {});
    throw error;
  }
}
