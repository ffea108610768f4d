import { createHash, randomUUID } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import {
  type FileHandle,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Algorithm,
  type Descriptor,
  type Digest,
  Digester,
  digestAlgorithm,
  digestEncoded,
  InvalidInputError,
  isDigest,
  LadingError,
  NotFoundError,
} from '@lading/digest';
import { FileLock } from './file-lock.js';
import { GcGuard } from './gc-guard.js';
import { markLive } from './gc-mark.js';
import { defaultStaleIngestMs, validateIndex } from './memory-store.js';
import { storeHas, storePut } from './put-blob.js';
import type {
  BlobRef,
  BlobSource,
  CommitOptions,
  Expectation,
  FullStore,
  GcOptions,
  GcReport,
  GcRootSource,
  Info,
  IngestStatus,
  Lease,
  OciIndex,
  PutOptions,
  PutResult,
  ReadOptions,
  WalkFilter,
  Writer,
  WriterOptions,
} from './types.js';
import {
  applyLabels,
  checkExpectation,
  labelsMatch,
  normalizeExpectation,
  requireDigest,
  requireLabels,
  requireLeaseId,
  requireRef,
} from './validate.js';
import { ensureDir, fsyncDir, writeFileAtomic } from './write-file-atomic.js';

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

const octetStream = 'application/octet-stream';
const layoutFile = JSON.stringify({ imageLayoutVersion: '1.0.0' });

/**
 * Opens (creating when missing) an OCI image layout as a store. Beside `oci-layout`, `index.json` and `blobs/` it keeps
 * `ingest/` (in-flight writes), `labels/`, `leases/` and `locks/`; OCI tools ignore those directories.
 */
export async function openLocalStore(dir: string, options: LocalStoreOptions = {}): Promise<FullStore> {
  const staleMs = options.staleLockMs ?? 10 * 60 * 1000;
  const chunkSize = options.chunkSize ?? 1024 * 1024;
  const paths = {
    layout: join(dir, 'oci-layout'),
    index: join(dir, 'index.json'),
    blobs: join(dir, 'blobs'),
    ingest: join(dir, 'ingest'),
    labels: join(dir, 'labels'),
    leases: join(dir, 'leases'),
    locks: join(dir, 'locks'),
  };
  await mkdir(dir, { recursive: true });
  await Promise.all(
    [join(paths.blobs, 'sha256'), paths.ingest, paths.labels, paths.leases, paths.locks].map((p) =>
      mkdir(p, { recursive: true }),
    ),
  );
  try {
    const layout = JSON.parse(await readFile(paths.layout, 'utf8')) as { imageLayoutVersion?: unknown };
    if (typeof layout.imageLayoutVersion !== 'string' || !layout.imageLayoutVersion.startsWith('1.')) {
      throw new InvalidInputError(
        'LAYOUT_UNSUPPORTED',
        `${paths.layout} has imageLayoutVersion ${JSON.stringify(layout.imageLayoutVersion)}; lading reads 1.x layouts`,
      );
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      if (error instanceof SyntaxError) {
        throw new InvalidInputError('LAYOUT_INVALID', `${paths.layout} is not JSON: ${error.message}`);
      }
      throw error;
    }
    await writeFileAtomic(paths.layout, layoutFile);
  }
  try {
    await stat(paths.index);
  } catch {
    await writeFileExclusive(
      paths.index,
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [],
      }),
    );
  }

  const rootSources = new Set<GcRootSource>();
  const blobPath = (d: Digest) => join(paths.blobs, digestAlgorithm(d), digestEncoded(d));
  const labelsPath = (d: Digest) => join(paths.labels, digestAlgorithm(d), `${digestEncoded(d)}.json`);
  const ingestDir = (ref: string) => join(paths.ingest, createHash('sha256').update(ref).digest('hex'));
  const leasePath = (id: string) => join(paths.leases, `${id}.json`);
  const lock = (path: string, what: string, waitMs = 30_000, busyCode = 'LOCK_BUSY') =>
    FileLock.acquire(path, { staleMs, waitMs, busyCode, what });
  const guard = new GcGuard(paths.locks, { staleMs });
  /** Removes an ingest directory: renamed away first, so a writer waiting for its lock starts in a fresh one. */
  const removeIngestDir = async (hdir: string) => {
    const away = `${hdir}.removing-${randomUUID()}`;
    try {
      await rename(hdir, away);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    await rm(away, { recursive: true, force: true });
  };

  const readLabels = async (d: Digest): Promise<{ labels: Record<string, string>; updatedAt?: Date }> => {
    try {
      const v = JSON.parse(await readFile(labelsPath(d), 'utf8')) as {
        labels?: Record<string, string>;
        updatedAt?: string;
      };
      return { labels: v.labels ?? {}, ...(v.updatedAt ? { updatedAt: new Date(v.updatedAt) } : {}) };
    } catch {
      return { labels: {} };
    }
  };
  const writeLabels = async (d: Digest, update: Readonly<Record<string, string>>): Promise<void> => {
    const dirPath = join(paths.labels, digestAlgorithm(d));
    await mkdir(dirPath, { recursive: true });
    const l = await lock(`${labelsPath(d)}.lock`, `labels of ${d}`);
    try {
      const current = await readLabels(d);
      const next = applyLabels(current.labels, update);
      await writeFileAtomic(
        labelsPath(d),
        JSON.stringify({ labels: next, updatedAt: new Date().toISOString() }),
        {
          sync: false,
        },
      );
    } finally {
      await l.release();
    }
  };

  const info = async (digest: Digest): Promise<Info> => {
    const d = requireDigest(digest);
    let st: Awaited<ReturnType<typeof stat>>;
    try {
      st = await stat(blobPath(d));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new NotFoundError('BLOB_NOT_FOUND', `blob ${d} is not in ${dir}`);
      }
      throw error;
    }
    const l = await readLabels(d);
    return {
      digest: d,
      size: st.size,
      createdAt: st.mtime,
      updatedAt: l.updatedAt ?? st.mtime,
      labels: l.labels,
    };
  };

  const readLease = async (id: string): Promise<StoredLease> => {
    try {
      return JSON.parse(await readFile(leasePath(id), 'utf8')) as StoredLease;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new NotFoundError(
          'LEASE_NOT_FOUND',
          `lease ${JSON.stringify(id)} does not exist in ${dir}: create it first`,
        );
      }
      throw error;
    }
  };
  /** Records a blob in a lease (callers hold the GC guard). */
  const recordLease = async (leaseId: string, digest: Digest): Promise<void> => {
    requireLeaseId(leaseId);
    const d = requireDigest(digest);
    const l = await lock(join(paths.leases, `${leaseId}.lock`), `lease ${leaseId}`);
    try {
      const lease = await readLease(leaseId);
      if (!lease.resources.includes(d)) lease.resources.push(d);
      await writeFileAtomic(leasePath(leaseId), JSON.stringify(lease), { sync: false });
    } finally {
      await l.release();
    }
  };

  const addLeaseResource = (leaseId: string, digest: Digest): Promise<void> => {
    requireLeaseId(leaseId);
    requireDigest(digest);
    return guard.shared(() => recordLease(leaseId, digest));
  };

  const readIngest = async (hashDir: string): Promise<IngestStatus | undefined> => {
    try {
      const [ref, startedAt, expectedText, st] = await Promise.all([
        readFile(join(hashDir, 'ref'), 'utf8'),
        readFile(join(hashDir, 'startedat'), 'utf8'),
        readFile(join(hashDir, 'expected'), 'utf8').catch(() => '{}'),
        stat(join(hashDir, 'data')),
      ]);
      const expected = JSON.parse(expectedText) as Expectation;
      return {
        ref,
        offset: st.size,
        ...(expected.size === undefined ? {} : { total: expected.size }),
        ...(expected.digest === undefined ? {} : { expected: expected.digest }),
        startedAt: new Date(startedAt),
        updatedAt: st.mtime,
      };
    } catch {
      return undefined;
    }
  };

  const store: FullStore = {
    read(ref: BlobRef, readOptions: ReadOptions = {}): AsyncIterable<Uint8Array> {
      return (async function* () {
        const d = requireDigest(ref.digest);
        let fh: FileHandle;
        try {
          fh = await open(blobPath(d), 'r');
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
            throw new NotFoundError('BLOB_NOT_FOUND', `blob ${d} is not in ${dir}`);
          }
          throw error;
        }
        try {
          let position = readOptions.offset ?? 0;
          for (;;) {
            readOptions.signal?.throwIfAborted();
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
    },

    info,

    async updateLabels(digest, labels) {
      const d = requireDigest(digest);
      requireLabels(labels);
      await info(d);
      await guard.shared(() => writeLabels(d, labels));
      return info(d);
    },

    async delete(digest) {
      const d = requireDigest(digest);
      try {
        await unlink(blobPath(d));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          throw new NotFoundError('BLOB_NOT_FOUND', `blob ${d} is not in ${dir}`);
        }
        throw error;
      }
      await rm(labelsPath(d), { force: true });
    },

    async walk(visit, filter?: WalkFilter) {
      for (const d of await listBlobs(paths.blobs)) {
        let i: Info;
        try {
          i = await info(d);
        } catch {
          continue; // deleted meanwhile
        }
        if (labelsMatch(i.labels, filter?.labels)) await visit(i);
      }
    },

    async writer(wOptions: WriterOptions): Promise<Writer> {
      const ref = requireRef(wOptions.ref);
      const expected = normalizeExpectation(wOptions.expected);
      const leaseId = wOptions.lease === undefined ? undefined : requireLeaseId(wOptions.lease);
      if (leaseId !== undefined) await readLease(leaseId);
      wOptions.signal?.throwIfAborted();
      const hdir = ingestDir(ref);
      await ensureDir(hdir);
      // A writer that knows the digest it will commit waits for another writer of the same ref: that one is
      // writing the same blob, and when it is done the blob is present (containerd's OpenWriter retries the same way).
      const waitMs = options.ingestLockWaitMs ?? (expected.digest !== undefined ? staleMs : 0);
      const l = await lock(join(hdir, 'lock'), `ingest ${JSON.stringify(ref)}`, waitMs, 'INGEST_LOCKED');
      try {
        let startedAt: Date;
        let stored: Expectation = expected;
        try {
          const existingRef = await readFile(join(hdir, 'ref'), 'utf8');
          if (existingRef !== ref)
            throw new LadingError(
              'INGEST_CONFLICT',
              `ingest directory ${hdir} belongs to ref ${existingRef}`,
            );
          startedAt = new Date(await readFile(join(hdir, 'startedat'), 'utf8'));
          if (wOptions.expected === undefined) {
            stored = normalizeExpectation(
              JSON.parse(await readFile(join(hdir, 'expected'), 'utf8').catch(() => '{}')),
            );
          }
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
          startedAt = new Date();
          await writeFile(join(hdir, 'startedat'), startedAt.toISOString());
          await writeFile(join(hdir, 'ref'), ref);
        }
        await writeFile(join(hdir, 'expected'), JSON.stringify(stored));
        const fh = await open(join(hdir, 'data'), fsc.O_RDWR | fsc.O_CREAT, 0o644);
        const alg: Algorithm = stored.digest ? digestAlgorithm(stored.digest) : 'sha256';
        let hasher: Digester;
        try {
          hasher = await hashFile(fh, alg, chunkSize);
        } catch (error) {
          await fh.close();
          throw error;
        }
        return new LocalWriter({
          ref,
          dir: hdir,
          fh,
          lock: l,
          hasher,
          startedAt,
          expected: stored,
          chunkSize,
          refreshMs: Math.max(1000, staleMs / 4),
          commitTo: async (digest, dataPath, labels) => {
            await fh.datasync();
            // Under the GC guard: the lease names the blob before it appears, and no GC sweeps in between, so
            // neither a new blob nor one that was already here (and unreferenced) can be collected once committed.
            await guard.shared(async () => {
              if (leaseId !== undefined) await recordLease(leaseId, digest);
              const target = blobPath(digest);
              const existing = await stat(target).catch(() => undefined);
              if (existing === undefined || existing.size !== hasher.size) {
                const algDir = join(paths.blobs, digestAlgorithm(digest));
                await mkdir(algDir, { recursive: true });
                await rename(dataPath, target);
                await fsyncDir(algDir);
              }
              if (labels) await writeLabels(digest, labels);
            });
          },
          removeDir: removeIngestDir,
        });
      } catch (error) {
        await l.release();
        throw error;
      }
    },

    async listIngests() {
      const out: IngestStatus[] = [];
      for (const name of await readdir(paths.ingest).catch(() => [] as string[])) {
        if (name.includes('.removing-')) continue;
        const s = await readIngest(join(paths.ingest, name));
        if (s) out.push(s);
      }
      return out;
    },

    async abortIngest(ref) {
      requireRef(ref);
      const hdir = ingestDir(ref);
      if ((await readIngest(hdir)) === undefined) {
        throw new NotFoundError('INGEST_NOT_FOUND', `no ingest named ${JSON.stringify(ref)} in ${dir}`);
      }
      const l = await lock(join(hdir, 'lock'), `ingest ${JSON.stringify(ref)}`, 0, 'INGEST_LOCKED');
      l.forget();
      await removeIngestDir(hdir);
    },

    async createLease(leaseOptions = {}) {
      const id = leaseOptions.id === undefined ? `lease-${randomUUID()}` : requireLeaseId(leaseOptions.id);
      const createdAt = new Date();
      const lease: StoredLease = {
        id,
        createdAt: createdAt.toISOString(),
        ...(leaseOptions.expiresInMs === undefined
          ? {}
          : { expiresAt: new Date(createdAt.getTime() + leaseOptions.expiresInMs).toISOString() }),
        resources: [],
      };
      try {
        await writeFileExclusive(leasePath(id), JSON.stringify(lease));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new InvalidInputError('LEASE_EXISTS', `lease ${JSON.stringify(id)} already exists in ${dir}`);
        }
        throw error;
      }
      return toLease(lease);
    },
    addLeaseResource,
    async deleteLease(leaseId) {
      requireLeaseId(leaseId);
      try {
        await unlink(leasePath(leaseId));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          throw new NotFoundError(
            'LEASE_NOT_FOUND',
            `lease ${JSON.stringify(leaseId)} does not exist in ${dir}`,
          );
        }
        throw error;
      }
    },
    async listLeases() {
      const out: Lease[] = [];
      for (const name of await readdir(paths.leases)) {
        if (!name.endsWith('.json')) continue;
        try {
          out.push(toLease(await readLease(name.slice(0, -5))));
        } catch {
          // removed meanwhile
        }
      }
      return out;
    },

    addGcRootSource(source) {
      rootSources.add(source);
      return () => void rootSources.delete(source);
    },

    async gc(gcOptions: GcOptions = {}): Promise<GcReport> {
      return guard.exclusive(async (refresh) => {
        const now = Date.now();
        const roots: { digest: Digest; mediaType?: string }[] = [];
        // Leases before the index: a writer that tags its image and then drops its lease is seen in one or the
        // other. (Under the guard neither changes while this runs; the order keeps that true without it too.)
        for (const name of await readdir(paths.leases)) {
          if (!name.endsWith('.json')) continue;
          let lease: StoredLease;
          try {
            lease = await readLease(name.slice(0, -5));
          } catch {
            continue;
          }
          if (lease.expiresAt !== undefined && new Date(lease.expiresAt).getTime() <= now) {
            await rm(join(paths.leases, name), { force: true });
            continue;
          }
          for (const d of lease.resources) if (isDigest(d)) roots.push({ digest: d });
        }
        for (const m of (await store.readIndex()).manifests)
          roots.push({ digest: m.digest, mediaType: m.mediaType });
        for (const d of gcOptions.extraRoots ?? []) roots.push({ digest: requireDigest(d) });
        for (const s of rootSources)
          for (const d of await s.roots()) roots.push({ digest: requireDigest(d) });
        const live = await markLive(
          roots,
          {
            readSmall: async (d, max) => {
              try {
                const fh = await open(blobPath(d), 'r');
                try {
                  const { size } = await fh.stat();
                  if (size > max) return undefined;
                  return await fh.readFile();
                } finally {
                  await fh.close();
                }
              } catch {
                return undefined;
              }
            },
            labels: async (d) => {
              try {
                await stat(blobPath(d));
              } catch {
                return undefined;
              }
              return (await readLabels(d)).labels;
            },
          },
          gcOptions.signal,
        );
        const removed: Digest[] = [];
        let bytesFreed = 0;
        for (const d of await listBlobs(paths.blobs)) {
          gcOptions.signal?.throwIfAborted();
          refresh();
          if (live.has(d)) continue;
          try {
            const st = await stat(blobPath(d));
            await unlink(blobPath(d));
            bytesFreed += st.size;
            removed.push(d);
          } catch {
            continue;
          }
          await rm(labelsPath(d), { force: true });
        }
        const staleIngestMs = gcOptions.staleIngestMs ?? defaultStaleIngestMs;
        const ingestsRemoved: string[] = [];
        for (const name of await readdir(paths.ingest)) {
          const hdir = join(paths.ingest, name);
          if (name.includes('.removing-')) {
            // left by a process killed while removing an ingest
            await rm(hdir, { recursive: true, force: true });
            continue;
          }
          const st = await stat(join(hdir, 'data')).catch(() => stat(hdir).catch(() => undefined));
          if (st === undefined || now - st.mtimeMs < staleIngestMs) continue;
          let l: FileLock;
          try {
            l = await FileLock.acquire(join(hdir, 'lock'), {
              staleMs,
              waitMs: 0,
              busyCode: 'INGEST_LOCKED',
              what: 'ingest',
            });
          } catch {
            continue; // being written
          }
          const ref = await readFile(join(hdir, 'ref'), 'utf8').catch(() => name);
          l.forget();
          await removeIngestDir(hdir);
          ingestsRemoved.push(ref);
        }
        return { removed, bytesFreed, ingestsRemoved };
      });
    },

    async readIndex(): Promise<OciIndex> {
      let text: string;
      try {
        text = await readFile(paths.index, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          return { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] };
        }
        throw error;
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        throw new InvalidInputError(
          'INDEX_INVALID',
          `${paths.index} is not JSON: ${(error as Error).message}`,
        );
      }
      return validateIndex(value);
    },

    updateIndex(update) {
      // Under the GC guard: a GC never runs between reading the index and naming a blob in it.
      return guard.shared(async () => {
        const l = await lock(join(paths.locks, 'index.lock'), `${paths.index}`, 60_000);
        try {
          const next = validateIndex(await update(await store.readIndex()));
          await writeFileAtomic(paths.index, JSON.stringify(next));
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

interface StoredLease {
  id: string;
  createdAt: string;
  expiresAt?: string;
  resources: string[];
}

function toLease(s: StoredLease): Lease {
  return s.expiresAt === undefined
    ? { id: s.id, createdAt: new Date(s.createdAt) }
    : { id: s.id, createdAt: new Date(s.createdAt), expiresAt: new Date(s.expiresAt) };
}

interface LocalWriterInit {
  ref: string;
  dir: string;
  fh: FileHandle;
  lock: FileLock;
  hasher: Digester;
  startedAt: Date;
  expected: Expectation;
  chunkSize: number;
  refreshMs: number;
  commitTo(
    digest: Digest,
    dataPath: string,
    labels: Readonly<Record<string, string>> | undefined,
  ): Promise<void>;
  removeDir(dir: string): Promise<void>;
}

/** Hashes while writing: each chunk is handed to the kernel first, then hashed while the write runs in the pool. */
class LocalWriter implements Writer {
  readonly ref: string;
  readonly #init: LocalWriterInit;
  #hasher: Digester;
  #offset: number;
  /** Writes handed to the kernel and not yet finished (callers may issue several without awaiting). */
  readonly #pending = new Set<Promise<void>>();
  #updatedAt = new Date();
  #done = false;
  #failed: unknown;
  #syncing: Promise<void> | undefined;
  #syncedAt = 0;

  constructor(init: LocalWriterInit) {
    this.ref = init.ref;
    this.#init = init;
    this.#hasher = init.hasher;
    this.#offset = init.hasher.size;
  }

  #live(): void {
    if (this.#done)
      throw new LadingError('WRITER_CLOSED', `writer for ingest ${JSON.stringify(this.ref)} is closed`);
    if (this.#failed !== undefined) throw this.#failed;
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.#live();
    const position = this.#offset;
    this.#offset += chunk.byteLength;
    const p = writeFully(this.#init.fh, chunk, position).catch((error: unknown) => {
      this.#failed ??= error;
      throw error;
    });
    this.#hasher.update(chunk);
    this.#flushBehind();
    this.#updatedAt = new Date();
    this.#init.lock.refresh(this.#init.refreshMs);
    this.#pending.add(p);
    try {
      await p;
    } finally {
      this.#pending.delete(p);
    }
  }

  /**
   * Starts writeback of what is written so far, in the background, every few MiB: the disk works while we hash, and
   * the fsync at commit only has the tail left to flush (and dirty pages never pile up in memory).
   */
  #flushBehind(): void {
    if (this.#syncing !== undefined || this.#offset - this.#syncedAt < flushBehindBytes) return;
    const upTo = this.#offset;
    this.#syncing = Promise.all([...this.#pending])
      .then(() => this.#init.fh.datasync())
      .then(
        () => {
          this.#syncedAt = upTo;
          this.#syncing = undefined;
        },
        () => {
          // A failed writeback is retried by the fsync at commit, which reports the error.
          this.#syncing = undefined;
        },
      );
  }

  async status(): Promise<IngestStatus> {
    const e = this.#init.expected;
    return {
      ref: this.ref,
      offset: this.#offset,
      ...(e.size === undefined ? {} : { total: e.size }),
      ...(e.digest === undefined ? {} : { expected: e.digest }),
      startedAt: this.#init.startedAt,
      updatedAt: this.#updatedAt,
    };
  }

  async commit(
    expected?: Expectation,
    options: CommitOptions = {},
  ): Promise<Descriptor & { readonly mediaType: string }> {
    this.#live();
    await Promise.all([...this.#pending]);
    await this.#syncing;
    if (this.#failed !== undefined) throw this.#failed;
    const want = { ...this.#init.expected, ...normalizeExpectation(expected) };
    if (options.labels) requireLabels(options.labels);
    this.#done = true;
    const { fh, dir } = this.#init;
    try {
      if (want.digest !== undefined && digestAlgorithm(want.digest) !== this.#hasher.algorithm) {
        this.#hasher = await hashFile(fh, digestAlgorithm(want.digest), this.#init.chunkSize);
      }
      const digest = this.#hasher.digest();
      const size = this.#hasher.size;
      checkExpectation({ digest, size }, want, this.ref);
      await this.#init.commitTo(digest, join(dir, 'data'), options.labels);
      return { mediaType: octetStream, digest, size };
    } finally {
      await fh.close().catch(() => {});
      this.#init.lock.forget();
      await this.#init.removeDir(dir);
    }
  }

  async abort(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    await Promise.allSettled([...this.#pending, this.#syncing]);
    await this.#init.fh.close().catch(() => {});
    this.#init.lock.forget();
    await this.#init.removeDir(this.#init.dir);
  }

  async close(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    await Promise.allSettled([...this.#pending, this.#syncing]);
    await this.#init.fh.close().catch(() => {});
    await this.#init.lock.release();
  }
}

const flushBehindBytes = 4 * 1024 * 1024;

async function writeFully(fh: FileHandle, chunk: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < chunk.byteLength) {
    const { bytesWritten } = await fh.write(chunk, done, chunk.byteLength - done, position + done);
    done += bytesWritten;
  }
}

/** Re-hashes what an interrupted ingest already wrote (and truncates nothing: every byte on disk counts). */
async function hashFile(fh: FileHandle, alg: Algorithm, chunkSize: number): Promise<Digester> {
  const d = new Digester(alg);
  const buf = Buffer.allocUnsafe(chunkSize);
  let position = 0;
  for (;;) {
    const { bytesRead } = await fh.read(buf, 0, chunkSize, position);
    if (bytesRead === 0) break;
    d.update(buf.subarray(0, bytesRead));
    position += bytesRead;
  }
  return d;
}

async function listBlobs(blobsDir: string): Promise<Digest[]> {
  const out: Digest[] = [];
  for (const alg of await readdir(blobsDir).catch(() => [] as string[])) {
    for (const hex of await readdir(join(blobsDir, alg)).catch(() => [] as string[])) {
      const d = `${alg}:${hex}`;
      if (isDigest(d)) out.push(d);
    }
  }
  return out;
}

async function writeFileExclusive(path: string, text: string): Promise<void> {
  const fh = await open(path, 'wx');
  try {
    await fh.writeFile(text);
  } finally {
    await fh.close();
  }
}
