import { execFile } from 'node:child_process';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LadingError, NotFoundError } from '@lading/digest';
import {
  type GraphDriver,
  removeDeadStaging,
  type StagedLayer,
  stagingName,
  stagingPrefix,
} from './graph-driver.js';

const run = promisify(execFile);

/**
 * moby's vfs driver (`daemon/graphdriver/vfs/driver.go`): each layer is a full tree in `vfs/dir/<cache-id>`, a copy
 * of its parent's with the layer applied over it (whiteouts remove what they hide). The size moby records is the
 * sum of the tar entries' sizes (its naive diff driver's ApplyDiff).
 */
export function vfsDriver(home: string): GraphDriver {
  const dirs = join(home, 'dir');
  return {
    name: 'vfs',
    async stage(cacheId, parentCacheId): Promise<StagedLayer> {
      await mkdir(dirs, { recursive: true, mode: 0o710 });
      const staging = join(dirs, stagingName(cacheId));
      if (parentCacheId === undefined) {
        await mkdir(staging, { mode: 0o755 });
      } else {
        const parent = join(dirs, parentCacheId);
        try {
          await stat(parent);
        } catch (cause) {
          throw new NotFoundError(
            'DATA_ROOT_LAYER_MISSING',
            `the data-root's layer store names ${parent} for a parent layer, but it is not there; the data-root is damaged`,
            { cause },
          );
        }
        // What moby's DirCopy keeps (owners, modes, times, hard links, xattrs, devices) is what `cp -a` keeps;
        // GNU cp also clones the data where the filesystem can (reflinks on btrfs and xfs).
        try {
          await run('cp', ['-a', '--', parent, staging], { maxBuffer: 1 << 20 });
        } catch (cause) {
          await rm(staging, { recursive: true, force: true });
          throw new LadingError(
            'VFS_COPY_FAILED',
            `cannot copy the parent layer ${parent} for vfs: ${(cause as { stderr?: string }).stderr?.trim() || (cause as Error).message}`,
            { cause },
          );
        }
      }
      return {
        applyDir: staging,
        whiteouts: 'apply',
        size: async (entriesSize) => entriesSize,
        commit: () => rename(staging, join(dirs, cacheId)),
        discard: () => rm(staging, { recursive: true, force: true }),
      };
    },
    remove: (cacheId) => rm(join(dirs, cacheId), { recursive: true, force: true }),
    removeStale: () => removeDeadStaging(dirs, stagingPrefix),
  };
}
