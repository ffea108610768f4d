import type { Descriptor, Digest } from '@lading/digest';

/** What is needed to find and verify a blob: a digest, and a size when it is known. */
export interface BlobRef {
  readonly digest: Digest;
  readonly size?: number;
}

export interface ReadOptions {
  readonly signal?: AbortSignal;
  /** Start reading at this byte offset. */
  readonly offset?: number;
}

/** Reads blobs by digest. `read` throws `NotFoundError` (lazily, on first iteration) when the blob is absent. */
export interface Provider {
  read(ref: BlobRef, options?: ReadOptions): AsyncIterable<Uint8Array>;
  /** Size and labels of a committed blob; `NotFoundError` when absent. */
  info(digest: Digest): Promise<Info>;
}

export interface Info {
  readonly digest: Digest;
  readonly size: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly labels: Readonly<Record<string, string>>;
}

export interface Expectation {
  readonly digest?: Digest;
  readonly size?: number;
}

export interface WriterOptions {
  /** Names the ingest: a writer opened again with the same ref resumes where the last one stopped. */
  readonly ref: string;
  readonly expected?: Expectation;
  /** Keeps the committed blob from garbage collection until the lease ends. */
  readonly lease?: string;
  readonly signal?: AbortSignal;
}

export interface IngestStatus {
  readonly ref: string;
  /** Bytes written so far (where a resumed writer continues). */
  readonly offset: number;
  readonly total?: number;
  readonly expected?: Digest;
  readonly startedAt: Date;
  readonly updatedAt: Date;
}

export interface CommitOptions {
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * An in-flight blob. Bytes are hashed as written; `commit` checks them against the expectation, then makes the blob
 * visible all at once. A committed digest that already existed is success. On a mismatch the commit throws
 * `IntegrityError` and the ingest is discarded: nothing partial is ever visible.
 */
export interface Writer {
  readonly ref: string;
  /** Appends `chunk`; once the promise resolves the writer holds no reference to it (the caller may reuse it). */
  write(chunk: Uint8Array): Promise<void>;
  status(): Promise<IngestStatus>;
  /** Returns the digest and size of the bytes written (checked against `expected` where it names them). */
  commit(
    expected?: Expectation,
    options?: CommitOptions,
  ): Promise<Descriptor & { readonly mediaType: string }>;
  /** Discards the ingest. */
  abort(): Promise<void>;
  /** Releases the writer but keeps the ingest so another writer with the same ref can resume it. */
  close(): Promise<void>;
}

export interface Ingester {
  writer(options: WriterOptions): Promise<Writer>;
}

export interface WalkFilter {
  /** Only blobs carrying all of these labels (value `*` matches any value). */
  readonly labels?: Readonly<Record<string, string>>;
}

export interface Manager {
  info(digest: Digest): Promise<Info>;
  /** Replaces the given labels (an empty string value removes a label); returns the new info. */
  updateLabels(digest: Digest, labels: Readonly<Record<string, string>>): Promise<Info>;
  delete(digest: Digest): Promise<void>;
  walk(visit: (info: Info) => void | Promise<void>, filter?: WalkFilter): Promise<void>;
}

export interface IngestManager {
  listIngests(): Promise<IngestStatus[]>;
  abortIngest(ref: string): Promise<void>;
}

export interface Lease {
  readonly id: string;
  readonly createdAt: Date;
  readonly expiresAt?: Date;
}

export interface LeaseManager {
  createLease(options?: { id?: string; expiresInMs?: number }): Promise<Lease>;
  addLeaseResource(leaseId: string, digest: Digest): Promise<void>;
  deleteLease(leaseId: string): Promise<void>;
  listLeases(): Promise<Lease[]>;
}

export interface GcResult {
  readonly removed: readonly Digest[];
  readonly bytesFreed: number;
}

/** Something that keeps blobs alive for GC (index.json, an image store, a reference store). */
export interface GcRootSource {
  roots(): Promise<Iterable<Digest>>;
}

export interface Store extends Provider, Ingester, Manager, IngestManager, LeaseManager {
  /** Marks from roots (index.json, registered root sources, unexpired leases) and sweeps the rest. */
  gc(options?: { extraRoots?: Iterable<Digest>; signal?: AbortSignal }): Promise<GcResult>;
}

/** A blob that can be read again from the start: what makes retries and pushes possible. */
export interface BlobSource {
  readonly descriptor: Descriptor;
  open(options?: ReadOptions): AsyncIterable<Uint8Array>;
}

export type PutResult = 'written' | 'exists' | 'mounted';

export interface PutOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (event: {
    readonly digest: Digest;
    readonly bytes: number;
    readonly total: number;
  }) => void;
}

/** Where blobs can be sent: a local store, a memory store, a registry. */
export interface BlobSink {
  has(desc: Descriptor): Promise<boolean>;
  put(desc: Descriptor, source: BlobSource, options?: PutOptions): Promise<PutResult>;
}

/** An OCI layout's index.json, as a typed value. */
export interface OciIndex {
  readonly schemaVersion: 2;
  readonly mediaType?: string;
  readonly manifests: readonly Descriptor[];
  readonly annotations?: Readonly<Record<string, string>>;
  readonly [extra: string]: unknown;
}

/** Read and update the top-level index of a store (index.json in an OCI layout). */
export interface IndexManager {
  readIndex(): Promise<OciIndex>;
  /** Read-modify-write under the store's cross-process lock; the file is replaced atomically. */
  updateIndex(update: (index: OciIndex) => OciIndex | Promise<OciIndex>): Promise<OciIndex>;
}

/** Stores that take extra GC root sources (an image store, a reference store). */
export interface GcRootRegistry {
  /** Registers a root source; returns a function that unregisters it. */
  addGcRootSource(source: GcRootSource): () => void;
}

export interface GcOptions {
  readonly extraRoots?: Iterable<Digest>;
  readonly signal?: AbortSignal;
  /** Ingests not written to for this long are discarded too (default: 24 h). */
  readonly staleIngestMs?: number;
}

export interface GcReport extends GcResult {
  /** Refs of the stale ingests that were discarded. */
  readonly ingestsRemoved: readonly string[];
}

/** What `createMemoryStore` and `openLocalStore` return: every role at once. */
export interface FullStore extends Store, IndexManager, GcRootRegistry, BlobSink {
  gc(options?: GcOptions): Promise<GcReport>;
}
