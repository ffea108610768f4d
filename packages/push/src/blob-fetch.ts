import type { Ingester, Provider, Writer } from '@lading/content-store';
import {
  type Descriptor,
  IntegrityError,
  isIntegrityError,
  isNotFoundError,
  NotFoundError,
  verifyStream,
} from '@lading/digest';
import { repositoryScope } from './authorizer.js';
import { discardBody, type HttpResponse, header } from './http.js';
import type { ProgressListener } from './progress.js';
import { isRawBody } from './raw-http.js';
import type { RegistryClient } from './registry-client.js';
import { errorFromResponse } from './registry-errors.js';

export interface BlobFetchOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
}

/**
 * GET a blob: follows redirects (to storage backends, without Authorization) and refuses a `Content-Length` other
 * than the descriptor's size before a byte of the body is read.
 */
async function openBlob(
  client: RegistryClient,
  repository: string,
  desc: Descriptor,
  signal: AbortSignal | undefined,
): Promise<HttpResponse> {
  return client.retry(async () => {
    const r = await client.request({
      method: 'GET',
      path: `/v2/${repository}/blobs/${desc.digest}`,
      scopes: [repositoryScope(repository, 'pull')],
      ...(signal ? { signal } : {}),
      rawBody: true,
    });
    if (r.status === 404) {
      discardBody(r);
      throw new NotFoundError(
        'BLOB_NOT_FOUND',
        `blob ${desc.digest} not found in ${client.registry}/${repository}`,
      );
    }
    if (r.status !== 200) throw await errorFromResponse(r, `fetching blob ${desc.digest} from ${repository}`);
    const length = header(r, 'content-length');
    if (length !== undefined && /^\d+$/.test(length) && Number(length) !== desc.size) {
      // the registry announces another size: refused before a byte is read
      r.body.destroy();
      throw new IntegrityError(
        'SIZE_MISMATCH',
        `blob ${desc.digest} in ${client.registry}/${repository}: the registry sends ${length} bytes, its descriptor says ${desc.size}`,
        { expected: String(desc.size), actual: length },
      );
    }
    return r;
  }, signal);
}

/**
 * GET a blob as a verified stream: it follows redirects (to storage backends, without Authorization) and throws
 * `IntegrityError` at the end when the bytes do not match the descriptor.
 */
export async function* fetchBlob(
  client: RegistryClient,
  repository: string,
  desc: Descriptor,
  options: BlobFetchOptions = {},
): AsyncGenerator<Uint8Array> {
  const res = await openBlob(client, repository, desc, options.signal);
  let n = 0;
  let last = 0;
  try {
    for await (const chunk of verifyStream(res.body as AsyncIterable<Uint8Array>, {
      digest: desc.digest,
      size: desc.size,
    })) {
      n += chunk.byteLength;
      if (options.onProgress && n - last >= 1 << 20) {
        last = n;
        options.onProgress({ digest: desc.digest, bytes: n, total: desc.size, state: 'downloading' });
      }
      yield chunk;
    }
  } finally {
    if (!res.body.complete) res.body.destroy();
  }
}

/** containerd's `containerd.io/distribution.source.<registry>` label key. */
export function distributionSourceLabel(registry: string): string {
  return `containerd.io/distribution.source.${registry}`;
}

/** The store side of a pull: `info` to skip what is there, a writer to ingest what is not. */
export type PullStore = Pick<Provider, 'info'> & Ingester;

export async function hasInStore(store: Pick<Provider, 'info'>, desc: Descriptor): Promise<boolean> {
  try {
    const info = await store.info(desc.digest);
    return info.size === desc.size;
  } catch (err) {
    if (isNotFoundError(err)) return false;
    throw err;
  }
}

/** Bytes gathered into one store write: fewer, larger writes while the socket keeps filling the next one. */
const writeBatchBytes = 1 << 20;

/**
 * Copies one blob from the registry into a store, streamed: the store's writer hashes the bytes as they are written
 * and its commit checks digest and size before the blob becomes visible (a mismatch leaves nothing behind); a body
 * longer than the descriptor is cut off at once. One write is in flight while the next megabyte arrives, so memory
 * stays at about 2 MiB per blob whatever its size.
 */
export async function pullBlob(
  client: RegistryClient,
  repository: string,
  desc: Descriptor,
  store: PullStore,
  options: BlobFetchOptions = {},
): Promise<'exists' | 'downloaded'> {
  if (await hasInStore(store, desc)) {
    options.onProgress?.({ digest: desc.digest, bytes: desc.size, total: desc.size, state: 'exists' });
    return 'exists';
  }
  const expected = { digest: desc.digest, size: desc.size };
  await client.retry(async () => {
    const open = () =>
      store.writer({
        ref: `lading-pull-${desc.digest}`,
        expected,
        ...(options.signal ? { signal: options.signal } : {}),
      });
    let writer = await open();
    // A left-over ingest would need a Range request to resume; starting over is simpler and always correct.
    if ((await writer.status()).offset > 0) {
      await writer.abort();
      writer = await open();
    }
    try {
      const res = await openBlob(client, repository, desc, options.signal);
      try {
        await copyBody(res.body, writer, desc, options.onProgress);
      } finally {
        if (!res.body.complete) res.body.destroy();
      }
      // containerd's label: where the blob came from, so a later push to that registry can mount it
      await writer
        .commit(expected, { labels: { [distributionSourceLabel(client.registry)]: repository } })
        .catch((err: unknown) => {
          // the store says what did not match; say which blob of which registry it was
          if (!isIntegrityError(err)) throw err;
          const { expected: want, actual } = err as IntegrityError;
          throw new IntegrityError(
            err.code,
            `blob ${desc.digest} from ${client.registry}/${repository}: ${err.message}`,
            { cause: err, ...(want ? { expected: want } : {}), ...(actual ? { actual } : {}) },
          );
        });
    } catch (err) {
      await writer.abort().catch(() => {});
      throw err;
    }
  }, options.signal);
  options.onProgress?.({ digest: desc.digest, bytes: desc.size, total: desc.size, state: 'downloaded' });
  return 'downloaded';
}

/**
 * Streams a response body into a writer, in order, one batched write in flight at a time. Batches are gathered in
 * two buffers that take turns (a writer is done with a chunk once its write resolves): fresh memory for every MiB
 * would cost a page fault per 4 KiB, which showed as most of a pull's copying time.
 */
async function copyBody(
  body: AsyncIterable<Uint8Array>,
  writer: Writer,
  desc: Descriptor,
  onProgress: ProgressListener | undefined,
): Promise<void> {
  let received = 0;
  let reported = 0;
  const buffers = [Buffer.allocUnsafeSlow(writeBatchBytes), Buffer.allocUnsafeSlow(writeBatchBytes)];
  if (isRawBody(body)) {
    // the socket reads straight into the two buffers; the body is framed by a Content-Length that openBlob
    // checked against the descriptor, so it cannot run past it (the count below says so all the same)
    await body.pump(buffers, async (chunk) => {
      received += chunk.byteLength;
      if (received > desc.size) throw tooLarge(desc);
      await writer.write(chunk);
      if (onProgress && received - reported >= 1 << 20) {
        reported = received;
        onProgress({ digest: desc.digest, bytes: received, total: desc.size, state: 'downloading' });
      }
    });
    if (received !== desc.size) throw endedEarly(desc, received);
    return;
  }
  let filling = 0;
  let batchBytes = 0;
  let inFlight: Promise<void> = Promise.resolve();
  const flush = async () => {
    const data = (buffers[filling] as Buffer).subarray(0, batchBytes);
    batchBytes = 0;
    await inFlight;
    inFlight = writer.write(data);
    // a failure is seen at the next await of inFlight; this only keeps it from counting as unhandled meanwhile
    inFlight.catch(() => {});
    // The other buffer's write was awaited above: it is free to fill.
    filling = 1 - filling;
  };
  const add = async (chunk: Uint8Array) => {
    let off = 0;
    while (off < chunk.byteLength) {
      const n = Math.min(chunk.byteLength - off, writeBatchBytes - batchBytes);
      (buffers[filling] as Buffer).set(chunk.subarray(off, off + n), batchBytes);
      batchBytes += n;
      off += n;
      if (batchBytes === writeBatchBytes) await flush();
    }
  };
  try {
    for await (const chunk of body) {
      received += chunk.byteLength;
      if (received > desc.size) throw tooLarge(desc);
      await add(chunk);
      if (onProgress && received - reported >= 1 << 20) {
        reported = received;
        onProgress({ digest: desc.digest, bytes: received, total: desc.size, state: 'downloading' });
      }
    }
    if (batchBytes > 0) await flush();
    await inFlight;
  } catch (err) {
    await inFlight.catch(() => {});
    throw err;
  }
  if (received !== desc.size) throw endedEarly(desc, received);
}

function tooLarge(desc: Descriptor): IntegrityError {
  return new IntegrityError(
    'SIZE_MISMATCH',
    `blob ${desc.digest} is larger than the ${desc.size} bytes of its descriptor`,
    { expected: String(desc.size), actual: `>${desc.size}` },
  );
}

function endedEarly(desc: Descriptor, received: number): IntegrityError {
  return new IntegrityError(
    'SIZE_MISMATCH',
    `blob ${desc.digest} ended after ${received} of the ${desc.size} bytes of its descriptor`,
    { expected: String(desc.size), actual: String(received) },
  );
}
