import { randomUUID } from 'node:crypto';
import { readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { type Digest, InvalidInputError, NotFoundError } from '@lading/digest';
import { type LocalLayout, writeFileExclusive } from './local-layout.js';
import type { Lease } from './types.js';
import { requireDigest, requireLeaseId } from './validate.js';
import { writeFileAtomic } from './write-file-atomic.js';

/** A lease as `leases/<id>.json` holds it: the blobs it keeps from the GC. */
export interface StoredLease {
  id: string;
  createdAt: string;
  expiresAt?: string;
  resources: string[];
}

export function toLease(s: StoredLease): Lease {
  return s.expiresAt === undefined
    ? { id: s.id, createdAt: new Date(s.createdAt) }
    : { id: s.id, createdAt: new Date(s.createdAt), expiresAt: new Date(s.expiresAt) };
}

export async function readLease(layout: LocalLayout, id: string): Promise<StoredLease> {
  try {
    return JSON.parse(await readFile(layout.leasePath(id), 'utf8')) as StoredLease;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new NotFoundError(
        'LEASE_NOT_FOUND',
        `lease ${JSON.stringify(id)} does not exist in ${layout.dir}: create it first`,
      );
    }
    throw error;
  }
}

/** Records a blob in a lease (callers hold the GC guard). */
export async function recordLease(layout: LocalLayout, leaseId: string, digest: Digest): Promise<void> {
  requireLeaseId(leaseId);
  const d = requireDigest(digest);
  const l = await layout.lock(join(layout.paths.leases, `${leaseId}.lock`), `lease ${leaseId}`);
  try {
    const lease = await readLease(layout, leaseId);
    if (!lease.resources.includes(d)) lease.resources.push(d);
    await writeFileAtomic(layout.leasePath(leaseId), JSON.stringify(lease), { sync: false });
  } finally {
    await l.release();
  }
}

export async function createLease(
  layout: LocalLayout,
  options: { id?: string; expiresInMs?: number } = {},
): Promise<Lease> {
  const id = options.id === undefined ? `lease-${randomUUID()}` : requireLeaseId(options.id);
  const createdAt = new Date();
  const lease: StoredLease = {
    id,
    createdAt: createdAt.toISOString(),
    ...(options.expiresInMs === undefined
      ? {}
      : { expiresAt: new Date(createdAt.getTime() + options.expiresInMs).toISOString() }),
    resources: [],
  };
  try {
    await writeFileExclusive(layout.leasePath(id), JSON.stringify(lease));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new InvalidInputError(
        'LEASE_EXISTS',
        `lease ${JSON.stringify(id)} already exists in ${layout.dir}`,
      );
    }
    throw error;
  }
  return toLease(lease);
}

export async function deleteLease(layout: LocalLayout, leaseId: string): Promise<void> {
  requireLeaseId(leaseId);
  try {
    await unlink(layout.leasePath(leaseId));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new NotFoundError(
        'LEASE_NOT_FOUND',
        `lease ${JSON.stringify(leaseId)} does not exist in ${layout.dir}`,
      );
    }
    throw error;
  }
}

export async function listLeases(layout: LocalLayout): Promise<Lease[]> {
  const out: Lease[] = [];
  for (const name of await readdir(layout.paths.leases)) {
    if (!name.endsWith('.json')) continue;
    try {
      out.push(toLease(await readLease(layout, name.slice(0, -5))));
    } catch {
      // removed meanwhile
    }
  }
  return out;
}
