import type { BlobSink, BlobSource, PutOptions, PutResult } from '@lading/content-store';
import { createLimiter, type Descriptor, isNotFoundError, NotFoundError } from '@lading/digest';
import { repositoryScope } from './authorizer.js';
import { hasBlob, pushBlob } from './blob-push.js';
import { createDedup } from './dedup.js';
import { isManifestLike, referrerFieldsOf } from './graph.js';
import { getManifest, headManifest, putManifest } from './manifest-io.js';
import type { ProgressListener } from './progress.js';
import { readSmall } from './read-small.js';
import { addReferrerToFallbackTag } from './referrers.js';
import type { RegistryClient } from './registry-client.js';

export interface RegistryTargetOptions {
  /** Repositories on the same registry to try a cross-repository mount from, or a function per blob. */
  readonly mountFrom?:
    | readonly string[]
    | ((desc: Descriptor) => readonly string[] | Promise<readonly string[]>);
  readonly chunkSize?: number;
  /** Blob transfers at once (default 4). */
  readonly concurrency?: number;
  readonly onProgress?: ProgressListener;
  /**
   * Awaited before the first request that writes (a mount, an upload session, a manifest PUT); reads go ahead.
   * A rejection stops the push with its error before anything is written: e.g. signing keys still unlocking.
   */
  readonly beforeWrite?: () => Promise<void>;
}

/**
 * One repository of a registry as a content-store `BlobSink`: `copyGraph` (children first) can push any image from
 * any store through it. Manifests go by digest; `tag` names one afterwards. Blobs are deduplicated in flight and
 * moved at most `concurrency` at a time.
 */
export class RegistryTarget implements BlobSink {
  readonly client: RegistryClient;
  readonly repository: string;
  readonly #options: RegistryTargetOptions;
  readonly #limit: <T>(task: () => Promise<T>) => Promise<T>;
  readonly #dedup = createDedup<PutResult>();
  readonly #manifests = new Map<string, Uint8Array>();

  /** Every request of a push asks for pull and push, so one token serves them all. */
  readonly scopes: readonly string[];

  constructor(client: RegistryClient, repository: string, options: RegistryTargetOptions = {}) {
    this.client = client;
    this.repository = repository;
    this.scopes = [repositoryScope(repository, 'pull,push')];
    this.#options = options;
    this.#limit = createLimiter(options.concurrency ?? 4);
  }

  async has(desc: Descriptor): Promise<boolean> {
    return this.#limit(async () => {
      if (isManifestLike(desc.mediaType)) {
        const found = await headManifest(this.client, this.repository, desc.digest, { scopes: this.scopes });
        return found !== undefined;
      }
      return hasBlob(this.client, this.repository, desc.digest, { size: desc.size, scopes: this.scopes });
    });
  }

  put(desc: Descriptor, source: BlobSource, options: PutOptions = {}): Promise<PutResult> {
    return this.#dedup(desc.digest, () => this.#limit(() => this.#put(desc, source, options)));
  }

  async #put(desc: Descriptor, source: BlobSource, options: PutOptions): Promise<PutResult> {
    const { signal } = options;
    if (isManifestLike(desc.mediaType)) {
      const present = await headManifest(this.client, this.repository, desc.digest, {
        scopes: this.scopes,
        ...(signal ? { signal } : {}),
      });
      if (present) return 'exists';
      const bytes = await readSmall(source.open(signal ? { signal } : {}), desc);
      this.#manifests.set(desc.digest, bytes);
      await this.#options.beforeWrite?.();
      const { subject } = await putManifest(
        this.client,
        this.repository,
        desc.digest,
        { descriptor: desc, bytes },
        signal ? { signal } : {},
      );
      await this.#linkReferrer(desc, bytes, subject, signal);
      return 'written';
    }
    const mountFrom =
      typeof this.#options.mountFrom === 'function'
        ? await this.#options.mountFrom(desc)
        : this.#options.mountFrom;
    const listener = this.#options.onProgress;
    const result = await pushBlob(this.client, this.repository, source, {
      ...(mountFrom ? { mountFrom } : {}),
      ...(this.#options.chunkSize !== undefined ? { chunkSize: this.#options.chunkSize } : {}),
      ...(this.#options.beforeWrite ? { beforeWrite: this.#options.beforeWrite } : {}),
      ...(signal ? { signal } : {}),
      onProgress: (e) => {
        listener?.(e);
        options.onProgress?.({ digest: e.digest, bytes: e.bytes, total: e.total });
      },
    });
    return result === 'uploaded' ? 'written' : result;
  }

  /** A manifest with a subject on a registry without the referrers API: list it under the fallback tag. */
  async #linkReferrer(
    desc: Descriptor,
    bytes: Uint8Array,
    ociSubject: string | undefined,
    signal?: AbortSignal,
  ): Promise<void> {
    if (ociSubject !== undefined) return;
    const fields = referrerFieldsOf(desc, bytes);
    if (!fields) return;
    const { subject, artifactType, annotations } = fields;
    await addReferrerToFallbackTag(
      this.client,
      this.repository,
      subject.digest,
      {
        mediaType: desc.mediaType,
        digest: desc.digest,
        size: desc.size,
        ...(artifactType !== undefined ? { artifactType } : {}),
        ...(annotations !== undefined ? { annotations } : {}),
      },
      signal ? { signal } : {},
    );
  }

  /**
   * Points a tag at a manifest already pushed (through this target, or present in the repository). Skips the PUT
   * when the tag already resolves to this digest; returns whether it wrote.
   */
  async tag(
    desc: Descriptor,
    tag: string,
    options: { signal?: AbortSignal; bytes?: Uint8Array; current?: Descriptor | undefined } = {},
  ): Promise<boolean> {
    const { signal } = options;
    // `current` (what the tag resolved to, looked up by the caller) saves the HEAD here.
    const current =
      'current' in options
        ? options.current
        : await headManifest(this.client, this.repository, tag, {
            scopes: this.scopes,
            ...(signal ? { signal } : {}),
          });
    if (current?.digest === desc.digest) return false;
    let bytes = options.bytes ?? this.#manifests.get(desc.digest);
    if (!bytes) {
      try {
        bytes = (
          await getManifest(this.client, this.repository, desc.digest, {
            expected: desc,
            ...(signal ? { signal } : {}),
          })
        ).bytes;
      } catch (err) {
        if (isNotFoundError(err)) {
          throw new NotFoundError(
            'MANIFEST_NOT_FOUND',
            `cannot tag ${this.repository}:${tag}: manifest ${desc.digest} is not in the repository; push it first`,
            { cause: err },
          );
        }
        throw err;
      }
    }
    await this.#options.beforeWrite?.();
    const { subject } = await putManifest(
      this.client,
      this.repository,
      tag,
      { descriptor: desc, bytes },
      signal ? { signal } : {},
    );
    await this.#linkReferrer(desc, bytes, subject, signal);
    return true;
  }
}
