// What a test file against a real daemon sets up first: the daemon, a temp dir beside it, often a busybox tree.
import { join } from 'node:path';
import { writeBusyboxRootfs } from './busybox.js';
import { makeTempDir, type TempDir } from './temp.js';

export interface PeerSetup<D> {
  readonly daemon: D;
  readonly dir: TempDir;
  /** `<dir>/rootfs`, a busybox tree when `busybox` was asked for (else not made). */
  readonly rootfs: string;
  /** Stops the daemon and removes the temp dir. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts a daemon (`startDockerd()`, `startContainerd()`, ...) and makes a temp dir named `tempPrefix...` at once;
 * when one of them fails the other is undone, so a failed `beforeAll` leaves nothing running.
 */
export async function setUpPeer<D extends { stop(): Promise<void> }>(
  start: Promise<D>,
  tempPrefix: string,
  options: { readonly busybox?: boolean } = {},
): Promise<PeerSetup<D>> {
  const [daemon, dir] = await Promise.allSettled([start, makeTempDir(tempPrefix)]);
  if (daemon.status === 'rejected' || dir.status === 'rejected') {
    await Promise.allSettled([
      daemon.status === 'fulfilled' ? daemon.value.stop() : undefined,
      dir.status === 'fulfilled' ? dir.value.cleanup() : undefined,
    ]);
    throw daemon.status === 'rejected' ? daemon.reason : (dir as PromiseRejectedResult).reason;
  }
  const rootfs = join(dir.value.path, 'rootfs');
  const stop = async () => {
    await Promise.allSettled([daemon.value.stop(), dir.value.cleanup()]);
  };
  const setup: PeerSetup<D> = {
    daemon: daemon.value,
    dir: dir.value,
    rootfs,
    stop,
    [Symbol.asyncDispose]: stop,
  };
  if (options.busybox) {
    try {
      writeBusyboxRootfs(rootfs);
    } catch (error) {
      await stop();
      throw error;
    }
  }
  return setup;
}
