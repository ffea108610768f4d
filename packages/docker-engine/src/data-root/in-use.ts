import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidInputError } from '@lading/digest';
import { isProcessAlive } from './pid.js';

/**
 * Files a running dockerd 20.10 (and the containerd and BuildKit inside it) holds open with a bolt lock (flock)
 * under its data-root for as long as it runs.
 */
const daemonLockedFiles = [
  'network/files/local-kv.db',
  'volumes/metadata.db',
  'builder/fscache.db',
  'buildkit/metadata_v2.db',
  'buildkit/snapshots.db',
  'buildkit/containerdmeta.db',
  'buildkit/cache.db',
  'containerd/daemon/io.containerd.metadata.v1.bolt/meta.db',
];

async function commandOf(pid: number): Promise<string> {
  try {
    return (await readFile(`/proc/${pid}/comm`, 'utf8')).trim();
  } catch {
    return 'unknown';
  }
}

function inUse(root: string, pid: number, command: string, how: string): InvalidInputError {
  return new InvalidInputError(
    'DATA_ROOT_IN_USE',
    `${root} is the data-root of a running daemon (pid ${pid}, ${command}: ${how}); stop it before exporting into its data-root, or export into the running Engine instead (without --moby-root)`,
  );
}

/** `MAJOR:MINOR:INODE` of every file with a lock in /proc/locks, with the pid holding it. */
async function lockedInodes(): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  let text: string;
  try {
    text = await readFile('/proc/locks', 'utf8');
  } catch {
    return out; // Not Linux, or no procfs: only the pid file tells.
  }
  for (const line of text.split('\n')) {
    // "1: FLOCK  ADVISORY  WRITE 26274 fe:00:2163681 0 EOF" (a "->" marks a waiter)
    const m = /^\d+:\s+(?:->\s+)?\S+\s+\S+\s+\S+\s+(-?\d+)\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/.exec(line);
    if (m === null) continue;
    const pid = Number(m[1]);
    if (pid <= 0) continue;
    out.set(`${Number.parseInt(m[2] as string, 16)}:${Number.parseInt(m[3] as string, 16)}:${m[4]}`, pid);
  }
  return out;
}

/** glibc's major/minor of a dev_t as stat(2) returns it. */
function devKey(dev: bigint, ino: bigint): string {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return `${major}:${minor}:${ino}`;
}

/**
 * Refuses a data-root a daemon is running on: its `docker.pid` names a live process, or a file only a running
 * dockerd keeps locked there is locked (what tells when the pid file lives elsewhere, as `/var/run/docker.pid`).
 */
export async function assertDataRootIdle(root: string): Promise<void> {
  for (const pidFile of ['docker.pid', 'dockerd.pid']) {
    let text: string;
    try {
      text = await readFile(join(root, pidFile), 'utf8');
    } catch {
      continue;
    }
    const pid = Number(text.trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isProcessAlive(pid)) {
      throw inUse(root, pid, await commandOf(pid), `its ${pidFile} names it`);
    }
  }
  const locks = await lockedInodes();
  if (locks.size === 0) return;
  for (const rel of daemonLockedFiles) {
    let st: { dev: bigint; ino: bigint };
    try {
      st = await stat(join(root, rel), { bigint: true });
    } catch {
      continue;
    }
    const pid = locks.get(devKey(st.dev, st.ino));
    if (pid !== undefined) throw inUse(root, pid, await commandOf(pid), `it holds ${rel} locked`);
  }
}
