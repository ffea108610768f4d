import { constants as fsc } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Algorithm,
  type Digest,
  type Digester,
  digestAlgorithm,
  LadingError,
  NotFoundError,
} from '@lading/digest';
import type { FileLock } from './file-lock.js';
import { writeLabels } from './local-labels.js';
import { type LocalLayout, removeIngestDir } from './local-layout.js';
import { readLease, recordLease } from './local-leases.js';
import { hashFile, LocalWriter } from './local-writer.js';
import type { Expectation, IngestStatus, Writer, WriterOptions } from './types.js';
import { normalizeExpectation, requireLeaseId, requireRef } from './validate.js';
import { ensureDir, fsyncDir } from './write-file-atomic.js';

/**
 * Opens a writer for an ingest (containerd's `plugins/content/local/writer.go`): bytes go to
 * `ingest/<hash of ref>/data` under the ingest's lock; an interrupted ingest of the same ref resumes where it stopped.
 */
export async function openWriter(
  layout: LocalLayout,
  wOptions: WriterOptions,
  lockWaitMs: number | undefined,
): Promise<Writer> {
  const ref = requireRef(wOptions.ref);
  const expected = normalizeExpectation(wOptions.expected);
  const leaseId = wOptions.lease === undefined ? undefined : requireLeaseId(wOptions.lease);
  if (leaseId !== undefined) await readLease(layout, leaseId);
  wOptions.signal?.throwIfAborted();
  const hdir = layout.ingestDir(ref);
  await ensureDir(hdir);
  // A writer that knows the digest it will commit waits for another writer of the same ref: that one is
  // writing the same blob, and when it is done the blob is present (containerd's OpenWriter retries the same way).
  const waitMs = lockWaitMs ?? (expected.digest !== undefined ? layout.staleMs : 0);
  const l = await layout.lock(join(hdir, 'lock'), `ingest ${JSON.stringify(ref)}`, waitMs, 'INGEST_LOCKED');
  try {
    const { startedAt, stored } = await resumeOrStart(hdir, ref, expected, wOptions.expected === undefined);
    await writeFile(join(hdir, 'expected'), JSON.stringify(stored));
    const fh = await open(join(hdir, 'data'), fsc.O_RDWR | fsc.O_CREAT, 0o644);
    const alg: Algorithm = stored.digest ? digestAlgorithm(stored.digest) : 'sha256';
    let hasher: Digester;
    try {
      hasher = await hashFile(fh, alg, layout.chunkSize);
    } catch (error) {
      await fh.close();
      throw error;
    }
    return new LocalWriter({
      ref,
      dir: hdir,
      fh,
      lock: l,
      hasher,
      startedAt,
      expected: stored,
      chunkSize: layout.chunkSize,
      refreshMs: Math.max(1000, layout.staleMs / 4),
      commitTo: async (digest, dataPath, labels) => {
        await fh.datasync();
        // Under the GC guard: the lease names the blob before it appears, and no GC sweeps in between, so
        // neither a new blob nor one that was already here (and unreferenced) can be collected once committed.
        await layout.guard.shared(async () => {
          if (leaseId !== undefined) await recordLease(layout, leaseId, digest);
          await moveIntoBlobs(layout, digest, dataPath, hasher.size);
          if (labels) await writeLabels(layout, digest, labels);
        });
      },
      removeDir: removeIngestDir,
    });
  } catch (error) {
    await l.release();
    throw error;
  }
}

/** Reads what an earlier writer of `ref` left in `hdir`, or starts the ingest there. */
async function resumeOrStart(
  hdir: string,
  ref: string,
  expected: Expectation,
  keepStoredExpectation: boolean,
): Promise<{ startedAt: Date; stored: Expectation }> {
  try {
    const existingRef = await readFile(join(hdir, 'ref'), 'utf8');
    if (existingRef !== ref)
      throw new LadingError('INGEST_CONFLICT', `ingest directory ${hdir} belongs to ref ${existingRef}`);
    const startedAt = new Date(await readFile(join(hdir, 'startedat'), 'utf8'));
    const stored = keepStoredExpectation
      ? normalizeExpectation(JSON.parse(await readFile(join(hdir, 'expected'), 'utf8').catch(() => '{}')))
      : expected;
    return { startedAt, stored };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const startedAt = new Date();
    await writeFile(join(hdir, 'startedat'), startedAt.toISOString());
    await writeFile(join(hdir, 'ref'), ref);
    return { startedAt, stored: expected };
  }
}

/** Renames committed data into `blobs/`; a blob already there with the same size is kept (content addressing). */
async function moveIntoBlobs(
  layout: LocalLayout,
  digest: Digest,
  dataPath: string,
  size: number,
): Promise<void> {
  const target = layout.blobPath(digest);
  const existing = await stat(target).catch(() => undefined);
  if (existing === undefined || existing.size !== size) {
    const algDir = join(layout.paths.blobs, digestAlgorithm(digest));
    await mkdir(algDir, { recursive: true });
    await rename(dataPath, target);
    await fsyncDir(algDir);
  }
}

/** The status of the ingest in `hashDir`, or undefined when it is not (or no longer) a complete ingest directory. */
export async function readIngest(hashDir: string): Promise<IngestStatus | undefined> {
  try {
    const [ref, startedAt, expectedText, st] = await Promise.all([
      readFile(join(hashDir, 'ref'), 'utf8'),
      readFile(join(hashDir, 'startedat'), 'utf8'),
      readFile(join(hashDir, 'expected'), 'utf8').catch(() => '{}'),
      stat(join(hashDir, 'data')),
    ]);
    const expected = JSON.parse(expectedText) as Expectation;
    return {
      ref,
      offset: st.size,
      ...(expected.size === undefined ? {} : { total: expected.size }),
      ...(expected.digest === undefined ? {} : { expected: expected.digest }),
      startedAt: new Date(startedAt),
      updatedAt: st.mtime,
    };
  } catch {
    return undefined;
  }
}

export async function listIngests(layout: LocalLayout): Promise<IngestStatus[]> {
  const out: IngestStatus[] = [];
  for (const name of await readdir(layout.paths.ingest).catch(() => [] as string[])) {
    if (name.includes('.removing-')) continue;
    const s = await readIngest(join(layout.paths.ingest, name));
    if (s) out.push(s);
  }
  return out;
}

/** Removes an ingest nobody writes: a held lock is `INGEST_LOCKED`. */
export async function abortIngest(layout: LocalLayout, ref: string): Promise<void> {
  requireRef(ref);
  const hdir = layout.ingestDir(ref);
  if ((await readIngest(hdir)) === undefined) {
    throw new NotFoundError('INGEST_NOT_FOUND', `no ingest named ${JSON.stringify(ref)} in ${layout.dir}`);
  }
  const l: FileLock = await layout.lock(
    join(hdir, 'lock'),
    `ingest ${JSON.stringify(ref)}`,
    0,
    'INGEST_LOCKED',
  );
  l.forget();
  await removeIngestDir(hdir);
}
