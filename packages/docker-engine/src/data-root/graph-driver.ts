import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { UnpackOptions } from '@lading/layer';
import type { MobyDriver } from './layout.js';
import { isProcessAlive } from './pid.js';

/** A layer's directory being made by a graph driver, not yet where dockerd looks. */
export interface StagedLayer {
  /** Where the layer's tar is applied. */
  readonly applyDir: string;
  readonly whiteouts: NonNullable<UnpackOptions['whiteouts']>;
  /** The size moby's driver reports from ApplyDiff (the layerdb `size` file). */
  size(entriesSize: number): Promise<number>;
  /** Moves the directory into place under its cache ID (a rename: it appears whole). */
  commit(): Promise<void>;
  /** Removes what was staged. */
  discard(): Promise<void>;
}

/** The part of a moby graph driver (`daemon/graphdriver`) that `docker load` uses: a directory per layer. */
export interface GraphDriver {
  readonly name: MobyDriver;
  /** Stages the directory of layer `cacheId` over its parent's (`parentCacheId`), as the driver's Create does. */
  stage(cacheId: string, parentCacheId: string | undefined): Promise<StagedLayer>;
  /** Removes a committed layer directory (a layer another writer committed first). */
  remove(cacheId: string): Promise<void>;
  /** Removes what killed lading processes left staged. */
  removeStale(): Promise<void>;
}

/** Prefix of staged directories: with the writer's pid, so that only a dead writer's leftovers are removed. */
export const stagingPrefix = 'lading-staging-';

export function stagingName(cacheId: string): string {
  return `${stagingPrefix}${process.pid}-${cacheId}`;
}

/** Removes `<prefix><pid>-...` entries of `dir` whose pid is no longer running. */
export async function removeDeadStaging(dir: string, prefix: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(/^(\d+)-/.exec(name.slice(prefix.length))?.[1]);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !isProcessAlive(pid)) {
      await rm(join(dir, name), { recursive: true, force: true });
    }
  }
}

/**
 * A cache ID as moby's `stringid.GenerateRandomID` makes it: 64 random hex digits whose 12-digit short form is not
 * all digits (it would parse as a number where it serves as a hostname).
 */
export function randomCacheId(): string {
  for (;;) {
    const id = randomBytes(32).toString('hex');
    if (!/^\d{12}$/.test(id.slice(0, 12))) return id;
  }
}

const base32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** overlay2's short link name (`overlayutils.GenerateID(26)`): base32 of 17 random bytes, cut to 26 characters. */
export function randomLinkId(): string {
  const bytes = randomBytes(17);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += base32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out.slice(0, 26);
}
