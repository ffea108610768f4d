import { randomBytes } from 'node:crypto';
import { isAlreadyExistsError } from './errors.js';
import type { Mount, SnapshotService } from './snapshots.js';

/**
 * Prepares an active snapshot to unpack a layer into, keyed as containerd's snapshots.UnpackKeyFormat does
 * ("extract-<unique> <name>"), on `parent` (empty: none). A key taken already (two unpacks in the same instant) is
 * tried again with another unique part, three times at most.
 */
export async function prepareExtraction(
  snapshots: SnapshotService,
  snapshotter: string,
  name: string,
  parent: string,
  call: { readonly signal?: AbortSignal },
): Promise<{ key: string; mounts: Mount[] }> {
  for (let attempt = 0; ; attempt++) {
    const key = `extract-${process.hrtime.bigint() % 1_000_000_000n}-${randomBytes(3).toString('base64url')} ${name}`;
    try {
      return { key, mounts: await snapshots.prepare(snapshotter, key, parent, call) };
    } catch (error) {
      if (isAlreadyExistsError(error) && attempt < 3) continue;
      throw error;
    }
  }
}
