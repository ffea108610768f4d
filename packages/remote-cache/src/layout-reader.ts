import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Info, OciIndex, Provider } from '@lading/content-store';
import { type Digest, InvalidInputError, NotFoundError, parseDigest, parseJsonObject } from '@lading/digest';

/** A read-only view of an OCI image layout: importing a cache never writes into the directory it reads. */
export interface LayoutReader {
  readonly index: OciIndex;
  readonly provider: Provider;
}

const isMissing = (e: unknown) => (e as NodeJS.ErrnoException)?.code === 'ENOENT';

/** Opens `dir` for reading; NotFoundError `CACHE_NOT_FOUND` when it holds no layout. */
export async function openLayoutReader(dir: string): Promise<LayoutReader> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(join(dir, 'index.json'));
  } catch (cause) {
    if (isMissing(cause) || (cause as NodeJS.ErrnoException)?.code === 'ENOTDIR') {
      throw new NotFoundError('CACHE_NOT_FOUND', `${dir} holds no OCI image layout (no index.json)`, {
        cause,
      });
    }
    throw cause;
  }
  const index = parseJsonObject(bytes, {
    what: `${dir}/index.json`,
    code: 'LAYOUT_INVALID',
  }) as unknown as OciIndex;
  if (!Array.isArray(index.manifests)) {
    throw new InvalidInputError('LAYOUT_INVALID', `${dir}/index.json has no manifests array`);
  }
  const pathOf = (digest: Digest) => {
    const d = parseDigest(digest);
    const colon = d.indexOf(':');
    return join(dir, 'blobs', d.slice(0, colon), d.slice(colon + 1));
  };
  const notFound = (digest: Digest, cause: unknown) =>
    new NotFoundError('BLOB_NOT_FOUND', `blob ${digest} is not in ${dir}`, { cause });
  const provider: Provider = {
    async info(digest): Promise<Info> {
      try {
        const st = await stat(pathOf(digest));
        return { digest, size: st.size, createdAt: st.birthtime, updatedAt: st.mtime, labels: {} };
      } catch (cause) {
        if (isMissing(cause)) throw notFound(digest, cause);
        throw cause;
      }
    },
    async *read(ref, options = {}) {
      const stream = createReadStream(pathOf(ref.digest), {
        ...(options.offset ? { start: options.offset } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        highWaterMark: 1 << 20,
      });
      try {
        for await (const chunk of stream) yield new Uint8Array(chunk as Buffer);
      } catch (cause) {
        if (isMissing(cause)) throw notFound(ref.digest, cause);
        throw cause;
      }
    },
  };
  return { index, provider };
}
