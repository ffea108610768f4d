import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Digest, digestAlgorithm, digestEncoded, InvalidInputError, isDigest } from '@lading/digest';
import { FileLock } from './file-lock.js';
import { GcGuard } from './gc-guard.js';
import { emptyIndex } from './oci-index.js';
import { writeFileAtomic } from './write-file-atomic.js';

/**
 * Where a local store keeps what, and the locks over it (containerd's `plugins/content/local/locks.go` has the
 * same role): the OCI layout (`oci-layout`, `index.json`, `blobs/`) and beside it `ingest/`, `labels/`, `leases/`
 * and `locks/`, which OCI tools ignore.
 */
export interface LocalLayout {
  readonly dir: string;
  readonly paths: {
    readonly layout: string;
    readonly index: string;
    readonly blobs: string;
    readonly ingest: string;
    readonly labels: string;
    readonly leases: string;
    readonly locks: string;
  };
  /** A lock not refreshed for this long is broken. */
  readonly staleMs: number;
  /** Chunk size for reads and re-hashing. */
  readonly chunkSize: number;
  /** Writers and index updates hold it shared, a GC exclusive. */
  readonly guard: GcGuard;
  blobPath(d: Digest): string;
  labelsPath(d: Digest): string;
  /** An ingest's directory: named by a hash of its ref, so any ref is a safe file name. */
  ingestDir(ref: string): string;
  leasePath(id: string): string;
  lock(path: string, what: string, waitMs?: number, busyCode?: string): Promise<FileLock>;
}

const layoutFile = JSON.stringify({ imageLayoutVersion: '1.0.0' });

/** Creates what is missing of a layout at `dir` and checks the `oci-layout` version of one that exists. */
export async function openLayout(
  dir: string,
  options: { readonly staleMs: number; readonly chunkSize: number },
): Promise<LocalLayout> {
  const { staleMs, chunkSize } = options;
  const paths = {
    layout: join(dir, 'oci-layout'),
    index: join(dir, 'index.json'),
    blobs: join(dir, 'blobs'),
    ingest: join(dir, 'ingest'),
    labels: join(dir, 'labels'),
    leases: join(dir, 'leases'),
    locks: join(dir, 'locks'),
  };
  await mkdir(dir, { recursive: true });
  await Promise.all(
    [join(paths.blobs, 'sha256'), paths.ingest, paths.labels, paths.leases, paths.locks].map((p) =>
      mkdir(p, { recursive: true }),
    ),
  );
  await checkLayoutFile(paths.layout);
  try {
    await stat(paths.index);
  } catch {
    await writeFileExclusive(paths.index, JSON.stringify(emptyIndex()));
  }
  return {
    dir,
    paths,
    staleMs,
    chunkSize,
    guard: new GcGuard(paths.locks, { staleMs }),
    blobPath: (d) => join(paths.blobs, digestAlgorithm(d), digestEncoded(d)),
    labelsPath: (d) => join(paths.labels, digestAlgorithm(d), `${digestEncoded(d)}.json`),
    ingestDir: (ref) => join(paths.ingest, createHash('sha256').update(ref).digest('hex')),
    leasePath: (id) => join(paths.leases, `${id}.json`),
    lock: (path, what, waitMs = 30_000, busyCode = 'LOCK_BUSY') =>
      FileLock.acquire(path, { staleMs, waitMs, busyCode, what }),
  };
}

async function checkLayoutFile(path: string): Promise<void> {
  try {
    const layout = JSON.parse(await readFile(path, 'utf8')) as { imageLayoutVersion?: unknown };
    if (typeof layout.imageLayoutVersion !== 'string' || !layout.imageLayoutVersion.startsWith('1.')) {
      throw new InvalidInputError(
        'LAYOUT_UNSUPPORTED',
        `${path} has imageLayoutVersion ${JSON.stringify(layout.imageLayoutVersion)}; lading reads 1.x layouts`,
      );
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      if (error instanceof SyntaxError) {
        throw new InvalidInputError('LAYOUT_INVALID', `${path} is not JSON: ${error.message}`);
      }
      throw error;
    }
    await writeFileAtomic(path, layoutFile);
  }
}

/** Every blob under `blobs/<alg>/<hex>` whose name is a digest. */
export async function listBlobs(blobsDir: string): Promise<Digest[]> {
  const out: Digest[] = [];
  for (const alg of await readdir(blobsDir).catch(() => [] as string[])) {
    for (const hex of await readdir(join(blobsDir, alg)).catch(() => [] as string[])) {
      const d = `${alg}:${hex}`;
      if (isDigest(d)) out.push(d);
    }
  }
  return out;
}

/** Removes an ingest directory: renamed away first, so a writer waiting for its lock starts in a fresh one. */
export async function removeIngestDir(hdir: string): Promise<void> {
  const away = `${hdir}.removing-${randomUUID()}`;
  try {
    await rename(hdir, away);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  await rm(away, { recursive: true, force: true });
}

/** Writes a file that must not exist yet (`EEXIST` otherwise). */
export async function writeFileExclusive(path: string, text: string): Promise<void> {
  const fh = await open(path, 'wx');
  try {
    await fh.writeFile(text);
  } finally {
    await fh.close();
  }
}
