import type { Ingester, Provider } from '@lading/content-store';
import { type Descriptor, IntegrityError, NotFoundError, verifyStream } from '@lading/digest';
import { repositoryScope } from './authorizer.js';
import { discardBody, header } from './http.js';
import type { ProgressListener } from './progress.js';
import type { RegistryClient } from './registry-client.js';
import { errorFromResponse } from './registry-errors.js';

export interface BlobFetchOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
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
  const { signal } = options;
  const res = await client.retry(async () => {
    const r = await client.request({
      method: 'GET',
      path: `/v2/${repository}/blobs/${desc.digest}`,
      scopes: [repositoryScope(repository, 'pull')],
      ...(signal ? { signal } : {}),
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
    if (err instanceof NotFoundError || (err as { kind?: string })?.kind === 'not-found') return false;
    throw err;
  }
}

/** Copies one blob from the registry into a store, verified twice (while streaming and by the store's commit). */
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
  await client.retry(async () => {
    const open = () =>
      store.writer({
        ref: `lading-pull-${desc.digest}`,
        expected: { digest: desc.digest, size: desc.size },
        ...(options.signal ? { signal: options.signal } : {}),
      });
    let writer = await open();
    // A left-over ingest would need a Range request to resume; starting over is simpler and always correct.
    if ((await writer.status()).offset > 0) {
      await writer.abort();
      writer = await open();
    }
    try {
      for await (const chunk of fetchBlob(client, repository, desc, options)) await writer.write(chunk);
      // containerd's label: where the blob came from, so a later push to that registry can mount it
      await writer.commit(
        { digest: desc.digest, size: desc.size },
        { labels: { [distributionSourceLabel(client.registry)]: repository } },
      );
    } catch (err) {
      await writer.abort().catch(() => {});
      throw err;
    }
  }, options.signal);
  options.onProgress?.({ digest: desc.digest, bytes: desc.size, total: desc.size, state: 'downloaded' });
  return 'downloaded';
}
