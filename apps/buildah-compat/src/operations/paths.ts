import { lstatSync, readlinkSync } from 'node:fs';
import { join, posix } from 'node:path';

/**
 * Resolves a path inside a rootfs as a chroot would: absolute symlinks are taken relative to the rootfs, `..`
 * never climbs above it. Returns the host path and the in-container path (no leading slash). Components that do
 * not exist yet are kept as given.
 */
export function resolveInRoot(rootfs: string, path: string): { host: string; inner: string } {
  const pending = path.split('/').filter((p) => p !== '' && p !== '.');
  const done: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '..') {
      done.pop();
      continue;
    }
    const candidate = join(rootfs, ...done, part);
    let target: string | undefined;
    try {
      if (lstatSync(candidate).isSymbolicLink()) target = readlinkSync(candidate);
    } catch {
      // missing: created later
    }
    if (target === undefined) {
      done.push(part);
      continue;
    }
    if (++hops > 255) break;
    const rest = target.split('/').filter((p) => p !== '' && p !== '.');
    if (target.startsWith('/')) done.length = 0;
    pending.unshift(...rest);
  }
  const inner = posix.join(...(done.length > 0 ? done : ['.']));
  return { host: join(rootfs, ...done), inner: inner === '.' ? '' : inner };
}
