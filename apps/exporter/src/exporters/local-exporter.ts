import { lstatSync, lutimesSync, readdirSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readdir, rename, rm, utimes } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { InvalidInputError, OptionError } from '@lading/digest';
import type { Exporter, ExporterInstance, ExportResult } from '../plugin/types.js';
import { filesystemAttributes, filesystemImages, parseFilesystemAttrs } from './filesystem-options.js';

/** Sets every time under `dir` (and its own) to `when`, as BuildKit's exporters do with an epoch. */
function stampTimes(dir: string, when: Date): void {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (lstatSync(p).isDirectory()) stampTimes(p, when);
    lutimesSync(p, when, when);
  }
  lutimesSync(dir, when, when);
}

/** Files of another platform already placed under the same path (platform-split=false), as BuildKit refuses them. */
async function checkNoOverlap(
  dir: string,
  rel: string,
  seen: Map<string, string>,
  platform: string,
): Promise<void> {
  for (const name of await readdir(dir)) {
    const p = join(dir, name);
    const r = rel === '' ? name : `${rel}/${name}`;
    if ((await lstat(p)).isDirectory()) {
      await checkNoOverlap(p, r, seen, platform);
      continue;
    }
    const other = seen.get(r);
    if (other !== undefined) {
      throw new InvalidInputError(
        'LOCAL_PLATFORM_OVERLAP',
        `cannot overwrite ${r} from ${other} with ${platform} when split option is disabled`,
      );
    }
    seen.set(r, platform);
  }
}

/**
 * Moves the staged tree `from` into `to` as BuildKit's client receives a local export (fsutil Receive with Merge):
 * what `to` holds and the export does not stays; a directory in both is merged and takes the export's mode and
 * times; anything else at a path is replaced. Each move is a rename, so no file is ever seen half-written.
 */
async function mergeInto(from: string, to: string): Promise<void> {
  for (const name of await readdir(from)) {
    const src = join(from, name);
    const dst = join(to, name);
    const s = await lstat(src);
    const d = await lstat(dst).catch(() => undefined);
    if (s.isDirectory() && d?.isDirectory()) {
      await mergeInto(src, dst);
      await chmod(dst, s.mode & 0o7777);
      await utimes(dst, s.atime, s.mtime);
      continue;
    }
    if (d !== undefined) await rm(dst, { recursive: true, force: true });
    await rename(src, dst);
  }
}

/**
 * `type=local,dest=DIR`: the image's filesystem (not an image) written into DIR, as BuildKit's local exporter and
 * buildx's client write it (exporter/local/export.go, session/filesync): the layers applied in order by
 * `@lading/layer`'s safe unpack (whiteouts applied), files owned by the user running lading (the client rewrites
 * owners to its own), modes and times of the image (the epoch for every entry when one is set); several platforms
 * go under `os_arch/` directories unless `platform-split=false`. The tree is unpacked beside DIR and moved in by
 * renames, merging with what DIR holds, so an interrupted export leaves DIR as it was.
 */
export const localExporter: Exporter = {
  name: 'local',
  specificationVersion: 1,
  attributes: filesystemAttributes,
  resolve(attrs, env): ExporterInstance {
    const opts = parseFilesystemAttrs('local', attrs);
    const dest = resolve(env.cwd, opts.dest);
    try {
      if (!lstatSync(dest).isDirectory()) {
        throw new OptionError('DEST_IS_FILE', `destination directory ${opts.dest} is a file`, {
          key: 'dest',
        });
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    return {
      name: 'exporting to client directory',
      async export(source, ctx): Promise<ExportResult> {
        ctx.signal.throwIfAborted();
        const images = filesystemImages(source, opts);
        await mkdir(dirname(dest), { recursive: true });
        const staging = await mkdtemp(join(dirname(dest), `.${basename(dest)}.lading-`));
        ctx.progress.start('local', 'copying files');
        try {
          const { applyLayer } = await import('@lading/layer');
          const seen = new Map<string, string>();
          for (const [n, image] of images.entries()) {
            const id = image.platformId ?? '';
            const own = join(staging, `p${n}`);
            for (const l of image.image.layers) {
              await applyLayer(
                own,
                { source: source.provider.read(l.descriptor, { signal: ctx.signal }), diffId: l.diffId },
                { signal: ctx.signal, sameOwner: false },
              );
            }
            await mkdir(own, { recursive: true });
            if (image.epoch !== undefined) stampTimes(own, image.epoch);
            if (image.subdir === '' && images.length > 1) await checkNoOverlap(own, '', seen, id);
            ctx.progress.update('local', n + 1, images.length);
          }
          const tree = join(staging, 'tree');
          await mkdir(tree, { mode: 0o700 });
          for (const [n, image] of images.entries()) {
            const own = join(staging, `p${n}`);
            if (image.subdir === '') {
              await mergeInto(own, tree);
              continue;
            }
            // BuildKit's per-platform directory: 0755, dated the epoch (or 1970).
            await chmod(own, 0o755);
            const when = image.epoch ?? new Date(0);
            await utimes(own, when, when);
            await rename(own, join(tree, image.subdir));
          }
          const exists = await lstat(dest).catch(() => undefined);
          if (exists === undefined) await rename(tree, dest);
          else await mergeInto(tree, dest);
        } catch (error) {
          ctx.progress.done('local', error);
          throw error;
        } finally {
          await rm(staging, { recursive: true, force: true });
        }
        ctx.progress.done('local');
        return { response: {} };
      },
    };
  },
};
