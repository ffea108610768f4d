import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobRef, Info, Provider, ReadOptions } from '@lading/content-store';
import { type Digest, digestAlgorithm, digestEncoded, NotFoundError } from '@lading/digest';

/**
 * A read-only provider over blob files named by digest (an OCI layout's `blobs/`, a `dir:` image): reading an image
 * someone else wrote must not add our store's bookkeeping directories to it.
 */
export function fileProvider(pathsFor: (digest: Digest) => readonly string[]): Provider {
  const find = async (digest: Digest): Promise<{ path: string; size: number; mtime: Date }> => {
    for (const path of pathsFor(digest)) {
      try {
        const s = await stat(path);
        if (s.isFile()) return { path, size: s.size, mtime: s.mtime };
      } catch {
        // try the next candidate
      }
    }
    throw new NotFoundError('BLOB_NOT_FOUND', `blob ${digest} not found`);
  };
  return {
    async *read(ref: BlobRef, options: ReadOptions = {}): AsyncIterable<Uint8Array> {
      const { path } = await find(ref.digest);
      const stream = createReadStream(path, {
        highWaterMark: 1 << 20,
        ...(options.offset ? { start: options.offset } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      for await (const chunk of stream) yield chunk as Buffer;
    },
    async info(digest: Digest): Promise<Info> {
      const f = await find(digest);
      return { digest, size: f.size, createdAt: f.mtime, updatedAt: f.mtime, labels: {} };
    },
  };
}

/** Blobs of an OCI image layout: `DIR/blobs/<alg>/<hex>`. */
export function layoutProvider(dir: string): Provider {
  return fileProvider((d) => [join(dir, 'blobs', digestAlgorithm(d), digestEncoded(d))]);
}
