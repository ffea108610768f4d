import type {
  BlobRef,
  BlobSink,
  BlobSource,
  GcResult,
  Info,
  IngestStatus,
  Lease,
  PutOptions,
  PutResult,
  ReadOptions,
  Store,
  WalkFilter,
  Writer,
  WriterOptions,
} from '@lading/content-store';
import { labelsMatch } from '@lading/content-store';
import { type Descriptor, type Digest, isIntegrityError, isLadingError } from '@lading/digest';
import { ContentWriter, normalizeExpectation, withoutEmpty } from './content-writer.js';
import { isAlreadyExistsError, isNotFoundError } from './errors.js';
import { LeaseService } from './leases.js';
import { Methods } from './proto/methods.js';
import { timestampToDate } from './timestamps.js';
import type { Message, Scope, Transport } from './transport.js';
import {
  requireDigest,
  requireLabels,
  requireLeaseId,
  requireRef,
  requireSha256,
  requireSize,
} from './validate.js';

export interface ContainerdPutOptions extends PutOptions {
  /** Labels the committed blob carries (e.g. `containerd.io/uncompressed`). */
  readonly labels?: Readonly<Record<string, string>>;
  /** Called when an upload continues an earlier, interrupted ingest instead of starting at 0. */
  readonly onResume?: (event: { readonly digest: Digest; readonly offset: number }) => void;
}

/** How often `put` retries an ingest another writer holds (a parallel upload of the same blob). */
const lockedRetries = 50;
const lockedDelayMs = 200;

/**
 * containerd's content store (api/services/content/v1) as a lading `Store` and `BlobSink`, scoped to one namespace
 * and, when given, one lease: what content/proxy is to containerd's own client. Blobs are visible only once a
 * commit succeeds; uploads by `put` use a ref named after the digest so an interrupted one resumes where containerd
 * says it stopped. `gc` asks containerd for a synchronous collection (the deletion of a throwaway lease with `sync`).
 */
export class ContainerdContentStore implements Store, BlobSink {
  readonly #transport: Transport;
  readonly #scope: Scope;
  readonly #leases: LeaseService;

  constructor(transport: Transport, scope: Scope) {
    this.#transport = transport;
    this.#scope = scope;
    this.#leases = new LeaseService(transport, scope);
  }

  get namespace(): string {
    return this.#scope.namespace;
  }

  /** The lease new content and ingests are added to, if any. */
  get lease(): string | undefined {
    return this.#scope.lease;
  }

  /** The same store, with everything written from it held by `lease` (the `containerd-lease` header). */
  withLease(lease: string): ContainerdContentStore {
    return new ContainerdContentStore(this.#transport, {
      namespace: this.#scope.namespace,
      lease: requireLeaseId(lease),
    });
  }

  read(ref: BlobRef, options: ReadOptions = {}): AsyncIterable<Uint8Array> {
    const transport = this.#transport;
    const scope = this.#scope;
    return (async function* () {
      const digest = requireDigest(ref.digest);
      const offset = options.offset ?? 0;
      requireSize(offset, 'read offset');
      const stream = transport.serverStream(
        Methods.content.read,
        { digest, offset, size: 0 },
        scope,
        `read ${digest}`,
        options.signal ? { signal: options.signal } : {},
      );
      for await (const m of stream) {
        const data = m.data as Uint8Array;
        if (data.byteLength > 0) yield data;
      }
    })();
  }

  async info(digest: Digest): Promise<Info> {
    const d = requireDigest(digest);
    const m = await this.#transport.unary(
      Methods.content.info,
      { digest: d },
      this.#scope,
      `content info ${d}`,
    );
    return infoFrom((m.info ?? {}) as Message);
  }

  async updateLabels(digest: Digest, labels: Readonly<Record<string, string>>): Promise<Info> {
    const d = requireDigest(digest);
    requireLabels(labels);
    const m = await this.#transport.unary(
      Methods.content.update,
      {
        info: { digest: d, labels: withoutEmpty(labels) },
        // labels.KEY paths: a key absent from `labels` (an empty value here) is removed.
        updateMask: { paths: Object.keys(labels).map((k) => `labels.${k}`) },
      },
      this.#scope,
      `label ${d}`,
    );
    return infoFrom((m.info ?? {}) as Message);
  }

  async delete(digest: Digest): Promise<void> {
    const d = requireDigest(digest);
    await this.#transport.unary(Methods.content.delete, { digest: d }, this.#scope, `delete ${d}`);
  }

  async walk(visit: (info: Info) => void | Promise<void>, filter?: WalkFilter): Promise<void> {
    const infos: Info[] = [];
    for await (const m of this.#transport.serverStream(
      Methods.content.list,
      { filters: [] },
      this.#scope,
      'list content',
    )) {
      for (const i of (m.info ?? []) as Message[]) infos.push(infoFrom(i));
    }
    // Filtered here rather than with containerd's filter syntax: label keys hold dots and slashes that would need
    // its quoting rules, and the list is streamed whole either way.
    for (const info of infos) if (labelsMatch(info.labels, filter?.labels)) await visit(info);
  }

  /**
   * A writer on `options.ref`. A ref another writer holds is `INGEST_LOCKED` at once, unless the writer names its
   * expected digest: then it waits for the other (as containerd's own `content.OpenWriter` retries a locked ref),
   * since both write the same blob and either commit is success.
   */
  async writer(options: WriterOptions): Promise<Writer> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#openWriter(options, false);
      } catch (error) {
        const waits = options.expected?.digest !== undefined && attempt < lockedRetries;
        if (!(waits && isLadingError(error) && error.code === 'INGEST_LOCKED')) throw error;
        options.signal?.throwIfAborted();
        await new Promise((r) => setTimeout(r, lockedDelayMs));
      }
    }
  }

  async #openWriter(options: WriterOptions, announce: boolean): Promise<ContentWriter> {
    const ref = requireRef(options.ref);
    const expected = normalizeExpectation(options.expected);
    const scope =
      options.lease === undefined ? this.#scope : { ...this.#scope, lease: requireLeaseId(options.lease) };
    return ContentWriter.open(this.#transport, {
      ref,
      scope,
      expected,
      announce,
      ...(options.signal ? { signal: options.signal } : {}),
      adoptExisting: (digest, labels) => this.#adopt(digest, labels, scope.lease),
    });
  }

  /** A blob found to exist: held by the lease in use (if any) and given the labels asked for. */
  async #adopt(
    digest: Digest,
    labels: Readonly<Record<string, string>> | undefined,
    lease: string | undefined = this.#scope.lease,
  ): Promise<void> {
    if (lease !== undefined) await this.#leases.addResource(lease, { id: digest, type: 'content' });
    if (labels && Object.keys(labels).length > 0) await this.updateLabels(digest, labels);
  }

  async listIngests(): Promise<IngestStatus[]> {
    const m = await this.#transport.unary(
      Methods.content.listStatuses,
      { filters: [] },
      this.#scope,
      'list ingests',
    );
    return ((m.statuses ?? []) as Message[]).map(statusFrom);
  }

  async abortIngest(ref: string): Promise<void> {
    requireRef(ref);
    await this.#transport.unary(Methods.content.abort, { ref }, this.#scope, `abort ingest ${ref}`);
  }

  async createLease(options: { id?: string; expiresInMs?: number } = {}): Promise<Lease> {
    return this.#leases.create(options);
  }

  async addLeaseResource(leaseId: string, digest: Digest): Promise<void> {
    const d = requireDigest(digest);
    await this.#leases.addResource(requireLeaseId(leaseId), { id: d, type: 'content' });
  }

  async deleteLease(leaseId: string): Promise<void> {
    await this.#leases.delete(requireLeaseId(leaseId));
  }

  async listLeases(): Promise<Lease[]> {
    return this.#leases.list();
  }

  /**
   * Runs containerd's garbage collection now and reports what it removed from this namespace. `extraRoots` are held
   * by a lease of their own for the duration. containerd collects every namespace at once: content nothing refers
   * to (an image, a lease, a `containerd.io/gc.ref.content.*` label, a `containerd.io/gc.root`) goes.
   */
  async gc(options: { extraRoots?: Iterable<Digest>; signal?: AbortSignal } = {}): Promise<GcResult> {
    const extra = [...(options.extraRoots ?? [])].map((d) => requireDigest(d));
    const before = new Map<Digest, number>();
    await this.walk((i) => void before.set(i.digest, i.size));
    const signal = options.signal ? { signal: options.signal } : {};
    let hold: string | undefined;
    try {
      if (extra.length > 0) {
        hold = (await this.#leases.create({ expiresInMs: 10 * 60 * 1000 }, signal)).id;
        for (const d of extra) await this.#leases.addResource(hold, { id: d, type: 'content' }, signal);
      }
      const trigger = await this.#leases.create({}, signal);
      await this.#leases.delete(trigger.id, { sync: true, ...signal });
    } finally {
      if (hold !== undefined) await this.#leases.delete(hold).catch(() => {});
    }
    const after = new Set<Digest>();
    await this.walk((i) => void after.add(i.digest));
    const removed: Digest[] = [];
    let bytesFreed = 0;
    for (const [d, size] of before) {
      if (after.has(d)) continue;
      removed.push(d);
      bytesFreed += size;
    }
    return { removed, bytesFreed };
  }

  async has(desc: Descriptor): Promise<boolean> {
    const digest = requireDigest(desc.digest);
    try {
      return (await this.info(digest)).size === desc.size;
    } catch (error) {
      if (isNotFoundError(error)) return false;
      throw error;
    }
  }

  /**
   * Uploads a blob unless containerd holds it ('exists'). The ingest ref is named after the digest: an upload that
   * was interrupted (even by kill -9) is resumed from containerd's offset, and a parallel upload of the same blob
   * is waited for. The expected digest goes with the first message, so containerd shares content another
   * namespace already holds instead of receiving it again.
   */
  async put(desc: Descriptor, source: BlobSource, options: ContainerdPutOptions = {}): Promise<PutResult> {
    const digest = requireSha256(requireDigest(desc.digest));
    const size = requireSize(desc.size);
    if (options.labels) requireLabels(options.labels);
    if (await this.has(desc)) {
      await this.#adopt(digest, options.labels);
      return 'exists';
    }
    const ref = `lading-upload-${digest}`;
    let fresh = false;
    for (let attempt = 0; ; attempt++) {
      options.signal?.throwIfAborted();
      let writer: ContentWriter;
      try {
        writer = await this.#openWriter(
          { ref, expected: { digest, size }, ...(options.signal ? { signal: options.signal } : {}) },
          true,
        );
      } catch (error) {
        if (isAlreadyExistsError(error)) {
          await this.#adopt(digest, options.labels);
          return 'exists';
        }
        if (isLadingError(error) && error.code === 'INGEST_LOCKED' && attempt < lockedRetries) {
          await new Promise((r) => setTimeout(r, lockedDelayMs));
          if (await this.has(desc)) {
            await this.#adopt(digest, options.labels);
            return 'exists';
          }
          continue;
        }
        throw error;
      }
      try {
        let { offset } = await writer.status();
        if (fresh || offset > size) offset = 0;
        if (offset > 0) options.onResume?.({ digest, offset });
        let bytes = offset;
        if (offset === 0) writer.rewind();
        if (offset < size) {
          for await (const chunk of source.open({
            offset,
            ...(options.signal ? { signal: options.signal } : {}),
          })) {
            options.signal?.throwIfAborted();
            await writer.write(chunk);
            bytes += chunk.byteLength;
            options.onProgress?.({ digest, bytes, total: size });
          }
        }
        await writer.commit({ digest, size }, options.labels ? { labels: options.labels } : {});
        return 'written';
      } catch (error) {
        // A resumed ingest whose earlier bytes were not this blob's: start once more from 0.
        if (!fresh && isIntegrityError(error)) {
          fresh = true;
          continue;
        }
        await writer.close().catch(() => {});
        throw error;
      }
    }
  }
}

function infoFrom(m: Message): Info {
  return {
    digest: requireDigest(m.digest),
    size: Number(m.size ?? 0),
    createdAt: timestampToDate(m.createdAt),
    updatedAt: timestampToDate(m.updatedAt),
    labels: { ...((m.labels ?? {}) as Record<string, string>) },
  };
}

function statusFrom(m: Message): IngestStatus {
  const total = Number(m.total ?? 0);
  const expected =
    typeof m.expected === 'string' && m.expected !== '' ? requireDigest(m.expected) : undefined;
  return {
    ref: String(m.ref ?? ''),
    offset: Number(m.offset ?? 0),
    ...(total > 0 ? { total } : {}),
    ...(expected !== undefined ? { expected } : {}),
    startedAt: timestampToDate(m.startedAt),
    updatedAt: timestampToDate(m.updatedAt),
  };
}
