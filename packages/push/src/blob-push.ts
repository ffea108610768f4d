import type { BlobSource } from '@lading/content-store';
import { type Digest, IntegrityError, RegistryError, redactUrl } from '@lading/digest';
import { repositoryScope } from './authorizer.js';
import { discardBody, type HttpBody, type HttpResponse, header } from './http.js';
import type { ProgressListener } from './progress.js';
import type { RegistryClient } from './registry-client.js';
import { errorFromResponse } from './registry-errors.js';
import { registryText } from './registry-text.js';

export type BlobPushResult = 'exists' | 'mounted' | 'uploaded';

export interface BlobPushOptions {
  /** Repositories on the same registry that may hold the blob: tried in order for a cross-repository mount. */
  readonly mountFrom?: readonly string[];
  /** Upload in PATCH chunks of this many bytes (the registry's `OCI-Chunk-Min-Length` raises it). */
  readonly chunkSize?: number;
  /** Skip the HEAD (the caller knows the blob is missing). */
  readonly skipExistsCheck?: boolean;
  /**
   * Awaited before the first request that writes (a mount, an upload session, a manifest PUT); reads go ahead.
   * A rejection stops the push with its error before anything is written: e.g. signing keys still unlocking.
   */
  readonly beforeWrite?: () => Promise<void>;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
}

/** HEAD `/v2/<repo>/blobs/<digest>`: whether the registry has the blob (with the expected size when it says). */
export async function hasBlob(
  client: RegistryClient,
  repository: string,
  digest: Digest,
  options: { size?: number; signal?: AbortSignal; scopes?: readonly string[] } = {},
): Promise<boolean> {
  return client.retry(async () => {
    const res = await client.request({
      method: 'HEAD',
      path: `/v2/${repository}/blobs/${digest}`,
      scopes: options.scopes ?? [repositoryScope(repository, 'pull')],
      ...(options.signal ? { signal: options.signal } : {}),
    });
    discardBody(res);
    if (res.status === 200) {
      const len = Number(header(res, 'content-length'));
      // A blob of another size under this digest is not ours: upload (the registry will refuse a mismatch).
      return options.size === undefined || !Number.isFinite(len) || len === options.size;
    }
    if (res.status === 404) return false;
    throw await errorFromResponse(res, `checking blob ${digest} in ${repository}`);
  }, options.signal);
}

/**
 * Pushes one blob: HEAD (skip when present), cross-repository mount, else POST then one streaming PUT (or PATCH
 * chunks and a closing PUT). The whole sequence is retried from a fresh upload session on retryable failures,
 * reopening the source each time; a failure that leaves nothing committed cannot corrupt the registry, since the
 * registry checks the digest on the final PUT.
 */
export async function pushBlob(
  client: RegistryClient,
  repository: string,
  source: BlobSource,
  options: BlobPushOptions = {},
): Promise<BlobPushResult> {
  const desc = source.descriptor;
  const mountFrom = (options.mountFrom ?? []).filter((r) => r !== repository);
  const scopes = [
    repositoryScope(repository, 'pull,push'),
    ...mountFrom.map((r) => repositoryScope(r, 'pull')),
  ];
  const signal = options.signal;
  const report = (bytes: number, state: 'uploading' | BlobPushResult) =>
    options.onProgress?.({ digest: desc.digest, bytes, total: desc.size, state });
  let checkExists = options.skipExistsCheck !== true;
  return client.retry(async () => {
    if (
      checkExists &&
      (await hasBlob(client, repository, desc.digest, {
        size: desc.size,
        scopes,
        ...(signal ? { signal } : {}),
      }))
    ) {
      report(desc.size, 'exists');
      return 'exists';
    }
    // After a failed attempt the blob may have landed anyway (the PUT's answer was lost): check again then.
    checkExists = true;
    await options.beforeWrite?.();
    let session: HttpResponse | undefined;
    for (const from of mountFrom) {
      const res = await client.request({
        method: 'POST',
        path: `/v2/${repository}/blobs/uploads/?mount=${encodeURIComponent(desc.digest)}&from=${encodeURIComponent(from)}`,
        scopes,
        ...(signal ? { signal } : {}),
      });
      if (res.status === 201) {
        discardBody(res);
        report(desc.size, 'mounted');
        return 'mounted';
      }
      if (res.status === 202) {
        // Mount refused softly: the registry opened an upload session instead; use it.
        session = res;
        discardBody(res);
        break;
      }
      // Any other refusal (403 from a token without pull on `from`, 404): fall back to a plain upload.
      discardBody(res);
    }
    if (!session) {
      const res = await client.request({
        method: 'POST',
        path: `/v2/${repository}/blobs/uploads/`,
        scopes,
        ...(signal ? { signal } : {}),
      });
      if (res.status !== 202)
        throw await errorFromResponse(res, `starting the upload of ${desc.digest} to ${repository}`);
      discardBody(res);
      session = res;
    }
    let location = locationOf(session);
    const minChunk = Number(header(session, 'oci-chunk-min-length'));
    const chunkSize =
      options.chunkSize !== undefined || Number.isFinite(minChunk)
        ? Math.max(options.chunkSize ?? 0, Number.isFinite(minChunk) ? minChunk : 0)
        : undefined;

    let final: HttpResponse;
    if (chunkSize !== undefined && chunkSize > 0 && desc.size > chunkSize) {
      const reader = createChunkReader(source.open(signal ? { signal } : {}));
      let offset = 0;
      while (offset < desc.size) {
        const len = Math.min(chunkSize, desc.size - offset);
        const start = offset;
        const res = await client.request({
          method: 'PATCH',
          path: location.toString(),
          headers: {
            'content-type': 'application/octet-stream',
            'content-length': String(len),
            'content-range': `${start}-${start + len - 1}`,
          },
          body: counting(reader.take(len), (n) => report(start + n, 'uploading')),
          scopes,
          ...(signal ? { signal } : {}),
        });
        if (res.status !== 202)
          throw await errorFromResponse(res, `uploading a chunk of ${desc.digest} to ${repository}`);
        discardBody(res);
        location = locationOf(res);
        offset += len;
      }
      await reader.finish();
      final = await client.request({
        method: 'PUT',
        path: withDigest(location, desc.digest).toString(),
        scopes,
        ...(signal ? { signal } : {}),
      });
    } else {
      // One streaming PUT; the source reopens if a 401 makes the client send again.
      const open = (): HttpBody =>
        counting(source.open(signal ? { signal } : {}), (n) => report(n, 'uploading'));
      final = await client.request({
        method: 'PUT',
        path: withDigest(location, desc.digest).toString(),
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(desc.size) },
        body: open,
        scopes,
        ...(signal ? { signal } : {}),
      });
    }
    if (final.status !== 201 && final.status !== 204) {
      throw await errorFromResponse(final, `finishing the upload of ${desc.digest} to ${repository}`);
    }
    discardBody(final);
    const said = header(final, 'docker-content-digest');
    if (said !== undefined && said !== desc.digest) {
      throw new IntegrityError(
        'REGISTRY_DIGEST_MISMATCH',
        `registry ${client.registry} stored ${desc.digest} in ${repository} under ${registryText(said, 140)}; the source or the registry is corrupt`,
        { expected: desc.digest, actual: registryText(said, 140) },
      );
    }
    report(desc.size, 'uploaded');
    return 'uploaded';
  }, signal);
}

/**
 * The upload Location of an answer. A relative one resolves against the URL that answered (RFC 9110: the target of
 * that request), so a session on another origin stays there; where it may lead is the client's to check.
 */
function locationOf(res: HttpResponse): URL {
  const loc = header(res, 'location');
  if (!loc) {
    throw new RegistryError(
      'NO_LOCATION',
      `${res.method} ${redactUrl(res.url.toString())} gave no upload Location`,
      {
        status: res.status,
        method: res.method,
        url: res.url.toString(),
      },
    );
  }
  try {
    return new URL(loc, res.url);
  } catch (err) {
    throw new RegistryError(
      'BAD_LOCATION',
      `${res.method} ${redactUrl(res.url.toString())} gave an upload Location that is not a URL`,
      {
        cause: err,
        status: res.status,
        method: res.method,
        url: res.url.toString(),
      },
    );
  }
}

function withDigest(location: URL, digest: Digest): URL {
  const u = new URL(location);
  u.searchParams.set('digest', digest);
  return u;
}

async function* counting(
  source: AsyncIterable<Uint8Array>,
  onBytes: (n: number) => void,
): AsyncGenerator<Uint8Array> {
  let n = 0;
  let last = 0;
  for await (const chunk of source) {
    n += chunk.byteLength;
    yield chunk;
    // about one event per MiB keeps listeners cheap
    if (n - last >= 1 << 20) {
      last = n;
      onBytes(n);
    }
  }
  if (n !== last) onBytes(n);
}

/** Cuts one stream into consecutive sub-streams of given lengths without gathering them. */
function createChunkReader(source: AsyncIterable<Uint8Array>) {
  const it = source[Symbol.asyncIterator]();
  let rest: Uint8Array | undefined;
  return {
    async *take(len: number): AsyncGenerator<Uint8Array> {
      let left = len;
      while (left > 0) {
        let chunk = rest;
        rest = undefined;
        if (!chunk) {
          const r = await it.next();
          if (r.done) throw new IntegrityError('SHORT_SOURCE', `the blob source ended ${left} bytes early`);
          chunk = r.value;
        }
        if (chunk.byteLength > left) {
          rest = chunk.subarray(left);
          chunk = chunk.subarray(0, left);
        }
        left -= chunk.byteLength;
        yield chunk;
      }
    },
    async finish(): Promise<void> {
      await it.return?.();
    },
  };
}
