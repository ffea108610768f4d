import { open, readFile, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { type Descriptor, type Digest, InvalidInputError, NotFoundError } from '@lading/digest';
import { collectGarbage } from './local-gc.js';
import { abortIngest, listIngests, openWriter } from './local-ingest.js';
import { readLabels, writeLabels } from './local-labels.js';
import { type LocalLayout, listBlobs, openLayout } from './local-layout.js';
import { createLease, deleteLease, listLeases, recordLease } from './local-leases.js';
import { emptyIndex, validateIndex } from './oci-index.js';
import { storeHas, storePut } from './put-blob.js';
import type {
  BlobRef,
  BlobSource,
  FullStore,
  GcRootSource,
  Info,
  OciIndex,
  PutOptions,
  PutResult,
  ReadOptions,
  WalkFilter,
} from './types.js';
import { labelsMatch, requireDigest, requireLabels, requireLeaseId } from './validate.js';
import { writeFileAtomic } from './write-file-atomic.js';

export interface LocalStoreOptions {
  /**
   * A held ingest lock is waited for this long before `INGEST_LOCKED`. Default: a writer that names the digest it
   * expects waits while the other writer lives (up to `staleLockMs`), as two pulls of one blob do; others fail at once.
   */
  readonly ingestLockWaitMs?: number;
  /** A lock not refreshed for this long is broken, even when its process looks alive (default 10 min). */
  readonly staleLockMs?: number;
  /** Chunk size for reads and re-hashing (default 1 MiB). */
  readonly chunkSize?: number;
}

/**
 * Opens (creating when missing) an OCI image layout as a store. Beside `oci-layout`, `index.json` and `blobs/` it keeps
 * `ingest/` (in-flight writes), `labels/`, `leases/` and `locks/`; OCI tools ignore those directories. The store is
 * containerd's `plugins/content/local/store.go` in shape: this file reads and names blobs, `local-ingest.ts` and
 * `local-writer.ts` write them, `local-gc.ts` collects them.
 */
export async function openLocalStore(dir: string, options: LocalStoreOptions = {}): Promise<FullStore> {
  const layout = await openLayout(dir, {
    staleMs: options.staleLockMs ?? 10 * 60 * 1000,
    chunkSize: options.chunkSize ?? 1024 * 1024,
  });
  const rootSources = new Set<GcRootSource>();
  const info = (digest: Digest) => blobInfo(layout, digest);

  const store: FullStore = {
    read: (ref: BlobRef, readOptions: ReadOptions = {}) => readBlobFile(layout, ref, readOptions),
    info,
    async updateLabels(digest, labels) {
      const d = requireDigest(digest);
      requireLabels(labels);
      await info(d);
      await layout.guard.shared(() => writeLabels(layout, d, labels));
      return info(d);
    },
    async delete(digest) {
      const d = requireDigest(digest);
      try {
        await unlink(layout.blobPath(d));
      } catch (error) {
        throw notFoundOr(error, layout, d);
      }
      await rm(layout.labelsPath(d), { force: true });
    },
    async walk(visit, filter?: WalkFilter) {
      for (const d of await listBlobs(layout.paths.blobs)) {
        let i: Info;
        try {
          i = await info(d);
        } catch {
          continue; // deleted meanwhile
        }
        if (labelsMatch(i.labels, filter?.labels)) await visit(i);
      }
    },

    writer: (wOptions) => openWriter(layout, wOptions, options.ingestLockWaitMs),
    listIngests: () => listIngests(layout),
    abortIngest: (ref) => abortIngest(layout, ref),

    createLease: (leaseOptions) => createLease(layout, leaseOptions),
    addLeaseResource(leaseId, digest) {
      requireLeaseId(leaseId);
      requireDigest(digest);
      return layout.guard.shared(() => recordLease(layout, leaseId, digest));
    },
    deleteLease: (leaseId) => deleteLease(layout, leaseId),
    listLeases: () => listLeases(layout),

    addGcRootSource(source) {
      rootSources.add(source);
      return () => void rootSources.delete(source);
    },
    gc: (gcOptions) => collectGarbage(layout, { readIndex: () => store.readIndex(), rootSources }, gcOptions),

    readIndex: () => readIndexFile(layout.paths.index),
    updateIndex(update) {
      // Under the GC guard: a GC never runs between reading the index and naming a blob in it.
      return layout.guard.shared(async () => {
        const l = await layout.lock(join(layout.paths.locks, 'index.lock'), `${layout.paths.index}`, 60_000);
        try {
          const next = validateIndex(await update(await store.readIndex()));
          await writeFileAtomic(layout.paths.index, JSON.stringify(next));
          return next;
        } finally {
          await l.release();
        }
      });
    },

    has(desc: Descriptor) {
      return storeHas(store, desc);
    },
    put(desc: Descriptor, source: BlobSource, putOptions?: PutOptions): Promise<PutResult> {
      return storePut(store, desc, source, putOptions);
    },
  };
  return store;
}

async function blobInfo(layout: LocalLayout, digest: Digest): Promise<Info> {
  const d = requireDigest(digest);
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(layout.blobPath(d));
  } catch (error) {
    throw notFoundOr(error, layout, d);
  }
  const l = await readLabels(layout, d);
  return {
    digest: d,
    size: st.size,
    createdAt: st.mtime,
    updatedAt: l.updatedAt ?? st.mtime,
    labels: l.labels,
  };
}

function readBlobFile(layout: LocalLayout, ref: BlobRef, options: ReadOptions): AsyncIterable<Uint8Array> {
  const { chunkSize } = layout;
  return (async function* () {
    const d = requireDigest(ref.digest);
    let fh: Awaited<ReturnType<typeof open>>;
    try {
      fh = await open(layout.blobPath(d), 'r');
    } catch (error) {
      throw notFoundOr(error, layout, d);
    }
    try {
      let position = options.offset ?? 0;
      for (;;) {
        options.signal?.throwIfAborted();
        const buf = Buffer.allocUnsafeSlow(chunkSize);
        const { bytesRead } = await fh.read(buf, 0, chunkSize, position);
        if (bytesRead === 0) break;
        position += bytesRead;
        yield bytesRead === chunkSize ? buf : buf.subarray(0, bytesRead);
      }
    } finally {
      await fh.close();
    }
  })();
}

async function readIndexFile(path: string): Promise<OciIndex> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyIndex();
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError('INDEX_INVALID', `${path} is not JSON: ${(error as Error).message}`);
  }
  return validateIndex(value);
}

/** A missing blob file is `BLOB_NOT_FOUND`; any other failure is returned as it came. */
function notFoundOr(error: unknown, layout: LocalLayout, d: Digest): unknown {
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
    return new NotFoundError('BLOB_NOT_FOUND', `blob ${d} is not in ${layout.dir}`);
  }
  return error;
}
