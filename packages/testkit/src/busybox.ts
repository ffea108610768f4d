import { copyFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { requirePeer } from './peers.js';

/** The applets a test image needs; each is a symlink to the one static binary. */
const applets = [
  'sh',
  'echo',
  'cat',
  'ls',
  'true',
  'false',
  'sleep',
  'env',
  'id',
  'pwd',
  'test',
  'wc',
  'sha256sum',
];

/**
 * Writes a runnable rootfs into `dir` from Debian's busybox-static: `/bin/busybox`, its applets as symlinks,
 * and the empty directories a runtime mounts over (`/proc`, `/sys`, `/dev`, `/etc`, `/tmp`).
 */
export function writeBusyboxRootfs(dir: string): void {
  const busybox = requirePeer('busybox');
  mkdirSync(join(dir, 'bin'), { recursive: true });
  copyFileSync(busybox, join(dir, 'bin', 'busybox'));
  for (const a of applets) symlinkSync('busybox', join(dir, 'bin', a));
  for (const d of ['proc', 'sys', 'dev', 'etc', 'tmp']) mkdirSync(join(dir, d), { recursive: true });
}
