import { open, readdir, readFile, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { type Digest, isDigest } from '@lading/digest';
import { FileLock } from './file-lock.js';
import { markLive } from './gc-mark.js';
import { defaultStaleIngestMs } from './limits.js';
import { readLabels } from './local-labels.js';
import { type LocalLayout, listBlobs, removeIngestDir } from './local-layout.js';
import { readLease, type StoredLease } from './local-leases.js';
import type { GcOptions, GcReport, GcRootSource, OciIndex } from './types.js';
import { requireDigest } from './validate.js';

/** What a GC reads beyond the layout: the store's index and the root sources registered with it. */
export interface GcInputs {
  readIndex(): Promise<OciIndex>;
  readonly rootSources: ReadonlySet<GcRootSource>;
}

type Root = { digest: Digest; mediaType?: string };

/**
 * Marks from the index, unexpired leases, extra roots and root sources, then sweeps unmarked blobs and stale ingests,
 * all under the exclusive GC guard (no writer commits and no index update lands meanwhile).
 */
export function collectGarbage(
  layout: LocalLayout,
  inputs: GcInputs,
  options: GcOptions = {},
): Promise<GcReport> {
  return layout.guard.exclusive(async (refresh) => {
    const now = Date.now();
    const roots = await gatherRoots(layout, inputs, options, now);
    const live = await markLive(
      roots,
      {
        readSmall: (d, max) => readSmall(layout.blobPath(d), max),
        labels: async (d) => {
          try {
            await stat(layout.blobPath(d));
          } catch {
            return undefined;
          }
          return (await readLabels(layout, d)).labels;
        },
      },
      options.signal,
    );
    const removed: Digest[] = [];
    let bytesFreed = 0;
    for (const d of await listBlobs(layout.paths.blobs)) {
      options.signal?.throwIfAborted();
      refresh();
      if (live.has(d)) continue;
      try {
        const st = await stat(layout.blobPath(d));
        await unlink(layout.blobPath(d));
        bytesFreed += st.size;
        removed.push(d);
      } catch {
        continue;
      }
      await rm(layout.labelsPath(d), { force: true });
    }
    const ingestsRemoved = await sweepIngests(layout, options.staleIngestMs ?? defaultStaleIngestMs, now);
    return { removed, bytesFreed, ingestsRemoved };
  });
}

async function gatherRoots(
  layout: LocalLayout,
  inputs: GcInputs,
  options: GcOptions,
  now: number,
): Promise<Root[]> {
  const roots: Root[] = [];
  // Leases before the index: a writer that tags its image and then drops its lease is seen in one or the
  // other. (Under the guard neither changes while this runs; the order keeps that true without it too.)
  for (const name of await readdir(layout.paths.leases)) {
    if (!name.endsWith('.json')) continue;
    let lease: StoredLease;
    try {
      lease = await readLease(layout, name.slice(0, -5));
    } catch {
      continue;
    }
    if (lease.expiresAt !== undefined && new Date(lease.expiresAt).getTime() <= now) {
      await rm(join(layout.paths.leases, name), { force: true });
      continue;
    }
    for (const d of lease.resources) if (isDigest(d)) roots.push({ digest: d });
  }
  for (const m of (await inputs.readIndex()).manifests)
    roots.push({ digest: m.digest, mediaType: m.mediaType });
  for (const d of options.extraRoots ?? []) roots.push({ digest: requireDigest(d) });
  for (const s of inputs.rootSources)
    for (const d of await s.roots()) roots.push({ digest: requireDigest(d) });
  return roots;
}

/** A blob's bytes when it is at most `max` bytes; undefined when larger or unreadable (it is then a leaf). */
async function readSmall(path: string, max: number): Promise<Uint8Array | undefined> {
  try {
    const fh = await open(path, 'r');
    try {
      const { size } = await fh.stat();
      if (size > max) return undefined;
      return await fh.readFile();
    } finally {
      await fh.close();
    }
  } catch {
    return undefined;
  }
}

/** Removes ingests untouched for `staleIngestMs` whose lock is free, and leftovers of interrupted removals. */
async function sweepIngests(layout: LocalLayout, staleIngestMs: number, now: number): Promise<string[]> {
  const ingestsRemoved: string[] = [];
  for (const name of await readdir(layout.paths.ingest)) {
    const hdir = join(layout.paths.ingest, name);
    if (name.includes('.removing-')) {
      // left by a process killed while removing an ingest
      await rm(hdir, { recursive: true, force: true });
      continue;
    }
    const st = await stat(join(hdir, 'data')).catch(() => stat(hdir).catch(() => undefined));
    if (st === undefined || now - st.mtimeMs < staleIngestMs) continue;
    let l: FileLock;
    try {
      l = await FileLock.acquire(join(hdir, 'lock'), {
        staleMs: layout.staleMs,
        waitMs: 0,
        busyCode: 'INGEST_LOCKED',
        what: 'ingest',
      });
    } catch {
      continue; // being written
    }
    const ref = await readFile(join(hdir, 'ref'), 'utf8').catch(() => name);
    l.forget();
    await removeIngestDir(hdir);
    ingestsRemoved.push(ref);
  }
  return ingestsRemoved;
}
