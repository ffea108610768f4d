import { createHash } from 'node:crypto';
import type { BlobSink } from '@lading/content-store';
import { createMemoryStore, writeBlob } from '@lading/content-store';
import { type Descriptor, type Digest, LadingError, NotFoundError, RegistryError } from '@lading/digest';
import { describe, expect, it } from 'vitest';
import { CacheChains } from './cache-chains.js';
import { type ExportProgress, exportCache } from './export-cache.js';

// What a failing layer write becomes: a lading error passes through as it is, a missing blob is named as
// CACHE_BLOB_MISSING, anything else is wrapped as CACHE_EXPORT_FAILED with the failure as its cause.
const sha = (b: string) => `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;

async function oneLayer() {
  const src = createMemoryStore();
  const bytes = new TextEncoder().encode('layer');
  await writeBlob(src, bytes);
  const layer: Descriptor = {
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    digest: sha('layer'),
    size: bytes.byteLength,
    annotations: { 'containerd.io/uncompressed': sha('diff') },
  };
  const chains = new CacheChains();
  chains.addResult(chains.add(sha('op')), { descriptors: [layer], provider: src });
  return { chains, layer };
}

/** A sink whose layer writes fail with `failure`; everything else is accepted. */
function failingSink(layer: Descriptor, failure: unknown): BlobSink & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    has: async () => false,
    put: async (desc) => {
      calls.push(desc.digest);
      if (desc.digest === layer.digest) throw failure;
      return 'written';
    },
  };
}

async function failure(cause: unknown, options: { ignoreError?: boolean } = {}) {
  const { chains, layer } = await oneLayer();
  const events: ExportProgress[] = [];
  const sink = failingSink(layer, cause);
  const outcome = await exportCache(chains, { sink }, { ...options, onProgress: (e) => events.push(e) }).then(
    (r) => ({ result: r, error: undefined }),
    (error: unknown) => ({ result: undefined, error }),
  );
  return { ...outcome, layer, events, sink };
}

describe('exportCache when a layer write fails', () => {
  it('wraps an error that is not a lading error as CACHE_EXPORT_FAILED, its cause kept', async () => {
    const cause = new Error('disk on fire');
    const { error, layer, events, sink } = await failure(cause);
    expect(error).toBeInstanceOf(LadingError);
    expect(error).toMatchObject({
      code: 'CACHE_EXPORT_FAILED',
      kind: 'unexpected',
      message: `error writing layer blob ${layer.digest}: disk on fire`,
    });
    expect((error as Error).cause).toBe(cause);
    expect(events).toEqual([
      { id: `writing layer ${layer.digest}`, status: 'started' },
      { id: `writing layer ${layer.digest}`, status: 'error' },
    ]);
    // Nothing after the failed layer: no config, no root.
    expect(sink.calls).toEqual([layer.digest]);
  });

  it('names a blob the provider lost as CACHE_BLOB_MISSING', async () => {
    const cause = new NotFoundError('BLOB_NOT_FOUND', 'gone');
    const { error, layer } = await failure(cause);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ code: 'CACHE_BLOB_MISSING', kind: 'not-found' });
    expect((error as Error).message).toBe(
      `layer blob ${layer.digest} is not in its store; rebuild the layer or export with ignore-error=true`,
    );
    expect((error as Error).cause).toBe(cause);
  });

  it('passes any other lading error through untouched', async () => {
    const cause = new RegistryError('DENIED', 'push denied', { status: 403 });
    const { error } = await failure(cause);
    expect(error).toBe(cause);
  });

  it('with ignoreError, returns the wrapped error instead of throwing', async () => {
    const cause = new TypeError('bad state');
    const { result, error } = await failure(cause, { ignoreError: true });
    expect(error).toBeUndefined();
    expect(result?.response).toEqual({});
    expect(result?.error).toMatchObject({ code: 'CACHE_EXPORT_FAILED' });
    expect(result?.error?.cause).toBe(cause);
  });
});
