import { randomUUID } from 'node:crypto';
import {
  checkHash,
  type Descriptor,
  Digester,
  digestAlgorithm,
  digestOf,
  IntegrityError,
  InvalidInputError,
} from '@lading/digest';
import { defaultMaxBlobBytes } from './limits.js';
import { ingestBlob, storeHas, storePut } from './put-blob.js';
import type {
  BlobRef,
  BlobSink,
  BlobSource,
  Expectation,
  Ingester,
  Provider,
  PutOptions,
  PutResult,
  ReadOptions,
  Store,
} from './types.js';
import { requireDigest } from './validate.js';

export interface WriteBlobOptions {
  readonly mediaType?: string;
  readonly expected?: Expectation;
  readonly lease?: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** Ingest ref; a unique one by default. */
  readonly ref?: string;
  readonly signal?: AbortSignal;
}

/** Writes bytes as one blob and returns its descriptor (an existing blob with that digest is success). */
export async function writeBlob(
  ingester: Ingester,
  bytes: Uint8Array,
  options: WriteBlobOptions = {},
): Promise<Descriptor> {
  const alg = options.expected?.digest ? digestAlgorithm(requireDigest(options.expected.digest)) : 'sha256';
  const digest = digestOf(bytes, alg);
  const writer = await ingester.writer({
    ref: options.ref ?? `write-${digest}-${randomUUID()}`,
    ...(options.expected ? { expected: options.expected } : {}),
    ...(options.lease === undefined ? {} : { lease: options.lease }),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  try {
    await writer.write(bytes);
    const desc = await writer.commit(
      { digest: options.expected?.digest ?? digest, size: options.expected?.size ?? bytes.byteLength },
      options.labels ? { labels: options.labels } : {},
    );
    return { mediaType: options.mediaType ?? desc.mediaType, digest: desc.digest, size: desc.size };
  } catch (error) {
    await writer.abort().catch(() => {});
    throw error;
  }
}

export interface ReadBlobOptions {
  /** Refuse blobs larger than this (default 4 MiB, the cap for JSON). */
  readonly maxBytes?: number;
  readonly signal?: AbortSignal;
}

/**
 * Reads a whole (small) blob and verifies it against its digest and size. The read stops at the smaller of
 * `maxBytes` and the declared size (`ref.size`, else the provider's `info`); a declared size above `maxBytes` is
 * refused before a byte is read. Over the cap -> `InvalidInputError` code `BLOB_TOO_LARGE`; more bytes than
 * declared or wrong content -> `IntegrityError`.
 */
export async function readBlob(
  provider: Provider,
  ref: BlobRef,
  options: ReadBlobOptions = {},
): Promise<Uint8Array> {
  const digest = requireDigest(ref.digest);
  const max = options.maxBytes ?? defaultMaxBlobBytes;
  const tooLarge = (size: string) =>
    new InvalidInputError(
      'BLOB_TOO_LARGE',
      `blob ${digest} is ${size} bytes, over the ${max}-byte limit for reading it whole; raise maxBytes if it is expected`,
    );
  // Without a size from the caller, the provider's says how big it is (an absent blob fails in read below).
  const declared =
    ref.size ??
    (await provider.info(digest).then(
      (i) => i.size,
      () => undefined,
    ));
  if (declared !== undefined && declared > max) throw tooLarge(String(declared));
  const cap = declared === undefined ? max : Math.min(declared, max);
  const chunks: Uint8Array[] = [];
  const d = new Digester(digestAlgorithm(digest));
  const readRef = declared === undefined ? { digest } : { digest, size: declared };
  for await (const chunk of provider.read(readRef, options.signal ? { signal: options.signal } : {})) {
    d.update(chunk);
    if (d.size > cap) {
      if (declared === undefined) throw tooLarge(`more than ${max}`);
      throw new IntegrityError(
        'SIZE_MISMATCH',
        `blob ${digest}: more than the ${declared} bytes it was declared with; the source served other content`,
        { expected: String(declared), actual: `more than ${declared}` },
      );
    }
    chunks.push(chunk);
  }
  checkHash(
    { digest: d.digest(), size: d.size },
    declared === undefined ? { digest } : { digest, size: declared },
    `blob ${digest}`,
  );
  return chunks.length === 1 ? (chunks[0] as Uint8Array) : new Uint8Array(Buffer.concat(chunks));
}

/** A reopenable source over a provider's blob (what a push retries from). */
export function blobSourceFrom(provider: Provider, desc: Descriptor): BlobSource {
  const digest = requireDigest(desc.digest);
  return {
    descriptor: desc,
    open: (options?: ReadOptions) => provider.read({ digest, size: desc.size }, options),
  };
}

function isSink(dst: Ingester | BlobSink): dst is BlobSink {
  return (
    typeof (dst as Partial<BlobSink>).put === 'function' &&
    typeof (dst as Partial<BlobSink>).has === 'function'
  );
}

/** Copies one blob from a provider to a sink or an ingester, verified on the way in. */
export async function copyBlob(
  src: Provider,
  dst: Ingester | BlobSink,
  desc: Descriptor,
  options: PutOptions = {},
): Promise<PutResult> {
  const source = blobSourceFrom(src, desc);
  if (isSink(dst)) return dst.put(desc, source, options);
  // A bare ingester: nothing to ask about presence, the commit of an existing digest is success.
  return ingestBlob(dst, desc, source, options, async () => false);
}

/** Makes any Store a BlobSink (`has` by `info`, `put` by a verified write). */
export class StoreSink implements BlobSink {
  readonly store: Store;
  constructor(store: Store) {
    this.store = store;
  }
  async has(desc: Descriptor): Promise<boolean> {
    return storeHas(this.store, desc);
  }
  put(desc: Descriptor, source: BlobSource, options?: PutOptions): Promise<PutResult> {
    return storePut(this.store, desc, source, options);
  }
}
