import { randomUUID } from 'node:crypto';
import {
  type Algorithm,
  type Descriptor,
  type Digest,
  Digester,
  digestAlgorithm,
  InvalidInputError,
  LadingError,
  NotFoundError,
} from '@lading/digest';
import { markLive } from './gc-mark.js';
import { defaultStaleIngestMs } from './limits.js';
import { validateIndex } from './oci-index.js';
import { storeHas, storePut } from './put-blob.js';
import { RwGate } from './rw-gate.js';
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

interface MemBlob {
  readonly bytes: Uint8Array;
  readonly createdAt: Date;
  updatedAt: Date;
  labels: Record<string, string>;
}

interface MemIngest {
  readonly ref: string;
  chunks: Uint8Array[];
  size: number;
  readonly startedAt: Date;
  updatedAt: Date;
  expected: Expectation;
  locked: boolean;
}

interface MemLease {
  readonly lease: Lease;
  readonly resources: Set<Digest>;
}

const octetStream = 'application/octet-stream';
const emptyIndex: OciIndex = {
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.index.v1+json',
  manifests: [],
};

/** A store in memory with the full behaviour of the local store: for tests and for pipelines that never touch disk. */
export function createMemoryStore(): FullStore {
  const blobs = new Map<Digest, MemBlob>();
  const ingests = new Map<string, MemIngest>();
  const leases = new Map<string, MemLease>();
  const rootSources = new Set<GcRootSource>();
  let index: OciIndex = emptyIndex;
  let indexQueue: Promise<unknown> = Promise.resolve();
  const gate = new RwGate();
  /** Writers waiting for another writer of the same ref to finish. */
  const released = new Map<string, (() => void)[]>();
  const release = (ref: string) => {
    const waiting = released.get(ref) ?? [];
    released.delete(ref);
    for (const resolve of waiting) resolve();
  };

  const getBlob = (digest: Digest): MemBlob => {
    const b = blobs.get(digest);
    if (!b) throw new NotFoundError('BLOB_NOT_FOUND', `blob ${digest} is not in the memory store`);
    return b;
  };
  const infoOf = (digest: Digest, b: MemBlob): Info => ({
    digest,
    size: b.bytes.byteLength,
    createdAt: b.createdAt,
    updatedAt: b.updatedAt,
    labels: { ...b.labels },
  });
  const activeLease = (id: string): MemLease => {
    const l = leases.get(id);
    if (!l)
      throw new NotFoundError(
        'LEASE_NOT_FOUND',
        `lease ${JSON.stringify(id)} does not exist: create it first`,
      );
    return l;
  };

  const store: FullStore = {
    read(ref: BlobRef, options: ReadOptions = {}): AsyncIterable<Uint8Array> {
      return (async function* () {
        const digest = requireDigest(ref.digest);
        const b = getBlob(digest);
        const start = options.offset ?? 0;
        const step = 1024 * 1024;
        for (let i = start; i < b.bytes.byteLength; i += step) {
          options.signal?.throwIfAborted();
          yield b.bytes.slice(i, Math.min(i + step, b.bytes.byteLength));
        }
      })();
    },

    async info(digest: Digest): Promise<Info> {
      const d = requireDigest(digest);
      return infoOf(d, getBlob(d));
    },

    async updateLabels(digest, labels) {
      const d = requireDigest(digest);
      requireLabels(labels);
      return gate.shared(async () => {
        const b = getBlob(d);
        b.labels = applyLabels(b.labels, labels);
        b.updatedAt = new Date();
        return infoOf(d, b);
      });
    },

    async delete(digest) {
      const d = requireDigest(digest);
      getBlob(d);
      blobs.delete(d);
    },

    async walk(visit, filter?: WalkFilter) {
      for (const [d, b] of [...blobs]) {
        if (labelsMatch(b.labels, filter?.labels)) await visit(infoOf(d, b));
      }
    },

    async writer(options: WriterOptions): Promise<Writer> {
      const ref = requireRef(options.ref);
      const expected = normalizeExpectation(options.expected);
      const leaseId = options.lease === undefined ? undefined : requireLeaseId(options.lease);
      if (leaseId !== undefined) activeLease(leaseId);
      options.signal?.throwIfAborted();
      let ing = ingests.get(ref);
      // As the local store: a writer that names its digest waits for the other writer of its ref.
      while (ing?.locked) {
        if (expected.digest === undefined) {
          throw new LadingError(
            'INGEST_LOCKED',
            `ingest ${JSON.stringify(ref)} is being written by another writer`,
          );
        }
        await new Promise<void>((resolve) => released.set(ref, [...(released.get(ref) ?? []), resolve]));
        options.signal?.throwIfAborted();
        ing = ingests.get(ref);
      }
      if (!ing) {
        const now = new Date();
        ing = { ref, chunks: [], size: 0, startedAt: now, updatedAt: now, expected, locked: true };
        ingests.set(ref, ing);
      } else {
        ing.locked = true;
        if (options.expected !== undefined) ing.expected = expected;
      }
      return memoryWriter(ing, leaseId);
    },

    async listIngests() {
      return [...ingests.values()].map(statusOf);
    },

    async abortIngest(ref) {
      requireRef(ref);
      if (!ingests.delete(ref))
        throw new NotFoundError('INGEST_NOT_FOUND', `no ingest named ${JSON.stringify(ref)}`);
    },

    async createLease(options = {}) {
      const id = options.id === undefined ? `lease-${randomUUID()}` : requireLeaseId(options.id);
      if (leases.has(id))
        throw new InvalidInputError('LEASE_EXISTS', `lease ${JSON.stringify(id)} already exists`);
      const createdAt = new Date();
      const lease: Lease =
        options.expiresInMs === undefined
          ? { id, createdAt }
          : { id, createdAt, expiresAt: new Date(createdAt.getTime() + options.expiresInMs) };
      leases.set(id, { lease, resources: new Set() });
      return lease;
    },
    async addLeaseResource(leaseId, digest) {
      const d = requireDigest(digest);
      const id = requireLeaseId(leaseId);
      await gate.shared(async () => {
        activeLease(id).resources.add(d);
      });
    },
    async deleteLease(leaseId) {
      requireLeaseId(leaseId);
      activeLease(leaseId);
      leases.delete(leaseId);
    },
    async listLeases() {
      return [...leases.values()].map((l) => l.lease);
    },

    addGcRootSource(source) {
      rootSources.add(source);
      return () => void rootSources.delete(source);
    },

    gc(options: GcOptions = {}): Promise<GcReport> {
      return gate.exclusive(() => collect(options));
    },

    async readIndex() {
      return index;
    },
    updateIndex(update) {
      const run = indexQueue.then(() =>
        gate.shared(async () => {
          const next = await update(index);
          index = validateIndex(next);
          return index;
        }),
      );
      indexQueue = run.catch(() => {});
      return run;
    },

    has(desc: Descriptor) {
      return storeHas(store, desc);
    },
    put(desc: Descriptor, source: BlobSource, options?: PutOptions): Promise<PutResult> {
      return storePut(store, desc, source, options);
    },
  };

  async function collect(options: GcOptions): Promise<GcReport> {
    const now = Date.now();
    const roots: { digest: Digest; mediaType?: string }[] = [];
    // Leases before the index, as the local store.
    for (const [id, l] of [...leases]) {
      if (l.lease.expiresAt !== undefined && l.lease.expiresAt.getTime() <= now) {
        leases.delete(id);
        continue;
      }
      for (const d of l.resources) roots.push({ digest: d });
    }
    for (const m of index.manifests) roots.push({ digest: m.digest, mediaType: m.mediaType });
    for (const d of options.extraRoots ?? []) roots.push({ digest: requireDigest(d) });
    for (const s of rootSources) for (const d of await s.roots()) roots.push({ digest: d });
    const live = await markLive(
      roots,
      {
        readSmall: async (d, max) => {
          const b = blobs.get(d);
          return b && b.bytes.byteLength <= max ? b.bytes : undefined;
        },
        labels: async (d) => blobs.get(d)?.labels,
      },
      options.signal,
    );
    const removed: Digest[] = [];
    let bytesFreed = 0;
    for (const [d, b] of [...blobs]) {
      if (live.has(d)) continue;
      blobs.delete(d);
      removed.push(d);
      bytesFreed += b.bytes.byteLength;
    }
    const staleMs = options.staleIngestMs ?? defaultStaleIngestMs;
    const ingestsRemoved: string[] = [];
    for (const [ref, ing] of [...ingests]) {
      if (!ing.locked && now - ing.updatedAt.getTime() >= staleMs) {
        ingests.delete(ref);
        ingestsRemoved.push(ref);
      }
    }
    return { removed, bytesFreed, ingestsRemoved };
  }

  function memoryWriter(ing: MemIngest, leaseId: string | undefined): Writer {
    let done = false;
    const live = () => {
      if (done)
        throw new LadingError('WRITER_CLOSED', `writer for ingest ${JSON.stringify(ing.ref)} is closed`);
    };
    return {
      ref: ing.ref,
      async write(chunk) {
        live();
        ing.chunks.push(Uint8Array.prototype.slice.call(chunk));
        ing.size += chunk.byteLength;
        ing.updatedAt = new Date();
      },
      async status() {
        return statusOf(ing);
      },
      async commit(expected?: Expectation, options: CommitOptions = {}) {
        live();
        return gate.shared(async () => commitNow(expected, options));
      },
      async abort() {
        if (done) return;
        done = true;
        ingests.delete(ing.ref);
        release(ing.ref);
      },
      async close() {
        if (done) return;
        done = true;
        ing.locked = false;
        release(ing.ref);
      },
    };
    function commitNow(expected: Expectation | undefined, options: CommitOptions) {
      const want = { ...ing.expected, ...normalizeExpectation(expected) };
      if (options.labels) requireLabels(options.labels);
      const bytes = Buffer.concat(ing.chunks);
      const alg: Algorithm = want.digest ? digestAlgorithm(want.digest) : 'sha256';
      const digest = new Digester(alg).update(bytes).digest();
      done = true;
      ingests.delete(ing.ref);
      release(ing.ref);
      checkExpectation({ digest, size: bytes.byteLength }, want, ing.ref);
      if (leaseId !== undefined) leases.get(leaseId)?.resources.add(digest);
      const now = new Date();
      const existing = blobs.get(digest);
      if (existing) {
        if (options.labels) existing.labels = applyLabels(existing.labels, options.labels);
      } else {
        blobs.set(digest, {
          bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
          createdAt: now,
          updatedAt: now,
          labels: applyLabels({}, options.labels ?? {}),
        });
      }
      return { mediaType: octetStream, digest, size: bytes.byteLength };
    }
  }

  return store;
}

function statusOf(ing: MemIngest): IngestStatus {
  return {
    ref: ing.ref,
    offset: ing.size,
    ...(ing.expected.size === undefined ? {} : { total: ing.expected.size }),
    ...(ing.expected.digest === undefined ? {} : { expected: ing.expected.digest }),
    startedAt: ing.startedAt,
    updatedAt: ing.updatedAt,
  };
}
