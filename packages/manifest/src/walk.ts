import { type BlobSink, copyBlob, type Provider, readBlob } from '@lading/content-store';
import { createLimiter, type Descriptor, isIndexMediaType, isManifestMediaType } from '@lading/digest';
import { decodeIndex, decodeManifest, maxManifestBytes } from './decode.js';

/** Context given to a walk handler: `children()` reads and decodes the node (manifests and indexes only). */
export interface WalkContext {
  readonly children: () => Promise<readonly Descriptor[]>;
  readonly signal?: AbortSignal;
}

/** Returns the children of a node to follow; an empty list or undefined skips below it. */
export type WalkHandler = (
  desc: Descriptor,
  context: WalkContext,
) => Promise<readonly Descriptor[] | undefined> | readonly Descriptor[] | undefined;

export interface WalkOptions {
  readonly concurrency?: number;
  readonly signal?: AbortSignal;
}

/** The handler that follows an image graph: index -> manifests, manifest -> config + layers (+ subject not followed). */
export function imageChildren(
  provider: Provider,
): (desc: Descriptor, signal?: AbortSignal) => Promise<readonly Descriptor[]> {
  return async (desc, signal) => {
    const index = isIndexMediaType(desc.mediaType);
    if (!index && !isManifestMediaType(desc.mediaType)) return [];
    const bytes = await readBlob(
      provider,
      desc,
      signal ? { maxBytes: maxManifestBytes, signal } : { maxBytes: maxManifestBytes },
    );
    if (index) return decodeIndex(bytes, { expected: desc }).value.manifests;
    const m = decodeManifest(bytes, { expected: desc }).value;
    return [m.config, ...m.layers];
  };
}

/**
 * Visits every node reachable from `root` once (by digest), parents before children, at most `concurrency`
 * handlers at a time. Returns each visited node's children.
 */
export async function walk(
  provider: Provider,
  root: Descriptor,
  handler: WalkHandler,
  options: WalkOptions = {},
): Promise<Map<string, { readonly descriptor: Descriptor; readonly children: readonly Descriptor[] }>> {
  const limit = createLimiter(slots(options.concurrency));
  const seen = new Map<string, { descriptor: Descriptor; children: readonly Descriptor[] }>();
  const pending = new Map<string, Promise<void>>();
  const visit = (desc: Descriptor): Promise<void> => {
    const existing = pending.get(desc.digest);
    if (existing) return existing;
    const p = (async () => {
      options.signal?.throwIfAborted();
      const read = imageChildren(provider);
      const context: WalkContext = {
        children: () => read(desc, options.signal),
        ...(options.signal ? { signal: options.signal } : {}),
      };
      const children = (await limit(async () => handler(desc, context))) ?? [];
      seen.set(desc.digest, { descriptor: desc, children });
      await Promise.all(children.map(visit));
    })();
    pending.set(desc.digest, p);
    return p;
  };
  await visit(root);
  return seen;
}

export interface CopyGraphOptions extends WalkOptions {
  readonly onProgress?: (event: { readonly descriptor: Descriptor; readonly result: string }) => void;
}

/**
 * Copies an image graph from `src` to `dst`: every child before its parent, the root last, so the
 * destination never holds a manifest whose blobs are missing.
 */
export async function copyGraph(
  src: Provider,
  dst: BlobSink,
  root: Descriptor,
  options: CopyGraphOptions = {},
): Promise<void> {
  const graph = await walk(src, root, (_d, c) => c.children(), options);
  const limit = createLimiter(slots(options.concurrency));
  const done = new Map<string, Promise<void>>();
  const copy = (desc: Descriptor): Promise<void> => {
    const existing = done.get(desc.digest);
    if (existing) return existing;
    const p = (async () => {
      // Every child settles before a failure is reported: a caller that cleans up after the error must not race
      // copies still writing into the destination.
      const settled = await Promise.allSettled((graph.get(desc.digest)?.children ?? []).map(copy));
      const failed = settled.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
      options.signal?.throwIfAborted();
      const result = await limit(() =>
        copyBlob(src, dst, desc, options.signal ? { signal: options.signal } : {}),
      );
      options.onProgress?.({ descriptor: desc, result });
    })();
    done.set(desc.digest, p);
    return p;
  };
  await copy(root);
}

/** A concurrency option as a limiter's slot count: 4 by default, and at least one (a walk never refuses 0). */
function slots(concurrency = 4): number {
  return Math.max(1, Math.ceil(concurrency));
}
