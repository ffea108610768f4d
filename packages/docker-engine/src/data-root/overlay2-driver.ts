import { lstat, mkdir, readdir, readFile, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { InvalidInputError, NotFoundError } from '@lading/digest';
import {
  type GraphDriver,
  randomLinkId,
  removeDeadStaging,
  type StagedLayer,
  stagingName,
  stagingPrefix,
} from './graph-driver.js';

const require = createRequire(import.meta.url);

/** overlay2 refuses a chain of more lower directories than this (moby's maxDepth). */
const maxDepth = 128;

/** `trusted.overlay.opaque=y` on a directory: overlayfs then hides what the lower layers have in it. */
async function markOpaque(dir: string): Promise<void> {
  // A native module, loaded on first use and resolved from this package (also when bundled into a CLI).
  const { setAttribute } = require('@napi-rs/xattr') as typeof import('@napi-rs/xattr');
  await setAttribute(dir, 'trusted.overlay.opaque', 'y');
}

/**
 * moby's directory.Size: the bytes of every non-directory in a tree (lstat sizes), a hard-linked inode once. What
 * overlay2 records as a layer's size after it applied the layer natively.
 */
export async function directorySize(dir: string): Promise<number> {
  const seen = new Set<number>();
  let size = 0;
  const walk = async (d: string): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) {
        await walk(p);
        continue;
      }
      const st = await lstat(p);
      if (st.size === 0 || seen.has(st.ino)) continue;
      seen.add(st.ino);
      size += st.size;
    }
  };
  await walk(dir);
  return size;
}

/**
 * moby's overlay2 driver (`daemon/graphdriver/overlay2/overlay.go`), as its Create and native ApplyDiff leave a
 * layer: `overlay2/<cache-id>/diff` holds this layer alone (whiteouts as character devices 0/0, opaque directories
 * marked with the `trusted.overlay.opaque` xattr), `link` names its short symlink `overlay2/l/<link>` ->
 * `../<cache-id>/diff`, and a layer with a parent has `lower` (the parent's link, then the parent's lowers) and an
 * empty `work`; the parent gets a `committed` file.
 */
export function overlay2Driver(home: string): GraphDriver {
  const links = join(home, 'l');
  return {
    name: 'overlay2',
    async stage(cacheId, parentCacheId): Promise<StagedLayer> {
      await mkdir(home, { recursive: true, mode: 0o710 });
      await mkdir(links, { recursive: true, mode: 0o700 });
      let lower: string | undefined;
      if (parentCacheId !== undefined) {
        const parent = join(home, parentCacheId);
        let parentLink: string;
        try {
          parentLink = (await readFile(join(parent, 'link'), 'utf8')).trim();
        } catch (cause) {
          throw new NotFoundError(
            'DATA_ROOT_LAYER_MISSING',
            `the data-root's layer store names ${parent} for a parent layer, but it has no link file; the data-root is damaged`,
            { cause },
          );
        }
        const lowers = [`l/${parentLink}`];
        try {
          lowers.push(...(await readFile(join(parent, 'lower'), 'utf8')).split(':'));
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
        if (lowers.length > maxDepth)
          throw new InvalidInputError('LAYER_DEPTH', `overlay2 stacks at most ${maxDepth} layers`);
        lower = lowers.join(':');
      }
      const staging = join(home, stagingName(cacheId));
      const linkId = randomLinkId();
      await mkdir(staging, { mode: 0o710 });
      await mkdir(join(staging, 'diff'), { mode: 0o755 });
      await writeFile(join(staging, 'link'), linkId, { mode: 0o644 });
      if (lower !== undefined) {
        await mkdir(join(staging, 'work'), { mode: 0o700 });
        await writeFile(join(staging, 'lower'), lower, { mode: 0o644 });
      }
      const diff = join(staging, 'diff');
      return {
        applyDir: diff,
        whiteouts: { overlay: { markOpaque } },
        size: () => directorySize(diff),
        async commit() {
          const link = join(links, linkId);
          await symlink(join('..', cacheId, 'diff'), link);
          try {
            await rename(staging, join(home, cacheId));
          } catch (error) {
            await unlink(link).catch(() => {});
            throw error;
          }
          if (parentCacheId !== undefined)
            await writeFile(join(home, parentCacheId, 'committed'), '', { mode: 0o600 });
        },
        discard: () => rm(staging, { recursive: true, force: true }),
      };
    },
    async remove(cacheId) {
      const dir = join(home, cacheId);
      const linkId = await readFile(join(dir, 'link'), 'utf8').catch(() => undefined);
      if (linkId !== undefined) await unlink(join(links, linkId.trim())).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
    removeStale: () => removeDeadStaging(home, stagingPrefix),
  };
}
