import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { InvalidInputError, isInvalidInputError, NotFoundError, printable } from '@lading/digest';
import { extract } from 'tar-stream';

function unsafe(archive: string, name: string, why: string): InvalidInputError {
  return new InvalidInputError(
    'ARCHIVE_UNSAFE_PATH',
    `${archive}: entry ${printable(JSON.stringify(name))} ${why}; the archive is not safe to read`,
  );
}

/**
 * The components of a member name, or an error: absolute names and `..` anywhere are refused. No tool that writes
 * image archives makes them; moby's `image/tarexport/load.go` unpacks in a chroot and keeps every path it reads
 * inside the directory (`safePath`), and lading refuses such an archive rather than guess what it meant.
 */
function componentsOf(archive: string, name: string): string[] {
  if (name.startsWith('/')) throw unsafe(archive, name, 'is an absolute path');
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw unsafe(archive, name, "climbs out of the archive with '..'");
  return parts;
}

/**
 * Makes the parent directories of an entry, walking from the root without following anything: a component that is
 * a symbolic link (or a file) is refused, so no entry is ever written through a link. Returns the entry's path.
 */
async function placeEntry(
  root: string,
  parts: readonly string[],
  archive: string,
  name: string,
): Promise<string> {
  let dir = root;
  for (const part of parts.slice(0, -1)) {
    dir = join(dir, part);
    // Not there (or not readable): made here, and mkdir says what is wrong if it cannot be.
    const st = await lstat(dir).catch(() => undefined);
    if (st === undefined) await mkdir(dir);
    else if (st.isSymbolicLink()) throw unsafe(archive, name, `goes through the symbolic link ${part}`);
    else if (!st.isDirectory()) throw unsafe(archive, name, `goes through ${part}, which is not a directory`);
  }
  return join(dir, parts[parts.length - 1] as string);
}

/**
 * A symbolic link may only point down into the archive from where it is: a relative target of leading `..`s (no
 * more of them than the link is deep) and then plain names. Every link obeying this resolves inside the root,
 * however links point through each other, because each `..` is taken from a real directory (entries never go
 * through links, see `placeEntry`). docker-archive's legacy `<id>/layer.tar -> ../<other>/layer.tar` fits.
 */
function checkLinkTarget(archive: string, name: string, depth: number, target: string): void {
  if (target === '') throw unsafe(archive, name, 'is a symbolic link to nothing');
  if (target.startsWith('/')) throw unsafe(archive, name, 'is a symbolic link to an absolute path');
  const parts = target.split('/').filter((p) => p !== '' && p !== '.');
  const ups = parts.findIndex((p) => p !== '..');
  const leading = ups < 0 ? parts.length : ups;
  if (leading > depth) throw unsafe(archive, name, 'is a symbolic link out of the archive');
  if (parts.slice(leading).includes('..')) {
    throw unsafe(
      archive,
      name,
      "is a symbolic link with '..' after a name (it could leave through another link)",
    );
  }
}

/**
 * Unpacks an image archive (oci-archive, docker-archive) into `root`: regular files, directories, and symlinks that
 * stay inside the archive (docker-archive's legacy `layer.tar` links). Other entry types are skipped. A member
 * that would land outside `root` (an absolute or `..` name, a path through a link, a link out) is an
 * `ARCHIVE_UNSAFE_PATH` error before anything is written for it.
 */
export async function extractArchive(file: string, root: string, signal?: AbortSignal): Promise<void> {
  let input: ReturnType<typeof createReadStream>;
  try {
    input = createReadStream(file, { highWaterMark: 1 << 20 });
    await new Promise<void>((resolve, reject) => {
      input.once('open', () => resolve());
      input.once('error', reject);
    });
  } catch (cause) {
    throw new NotFoundError('ARCHIVE_NOT_FOUND', `cannot open ${file}: ${(cause as Error).message}`, {
      cause,
    });
  }
  const ex = extract();
  const done = (async () => {
    for await (const entry of ex) {
      signal?.throwIfAborted();
      const { name, type, linkname, size } = entry.header;
      // tar-stream reads some size fields as null and then waits forever for the entry's end (it refuses negative ones).
      if (!Number.isSafeInteger(size)) {
        throw new InvalidInputError(
          'ARCHIVE_INVALID',
          `${file}: entry ${printable(JSON.stringify(name))} has a size that is not a number; the archive is corrupt`,
        );
      }
      const parts = componentsOf(file, name);
      if (
        parts.length === 0 ||
        (type !== 'directory' && type !== 'file' && type !== 'contiguous-file' && type !== 'symlink')
      ) {
        entry.resume();
        continue;
      }
      if (type === 'symlink') checkLinkTarget(file, name, parts.length - 1, linkname ?? '');
      const target = await placeEntry(root, parts, file, name);
      if (type === 'directory') {
        const st = await lstat(target).catch(() => undefined);
        if (st === undefined) await mkdir(target);
        else if (!st.isDirectory())
          throw unsafe(file, name, 'is a directory where the archive put something else');
      } else if (type === 'symlink') {
        await symlink(linkname as string, target);
      } else {
        // O_EXCL: an existing name (a link put there first) is never followed or overwritten.
        await pipeline(entry, createWriteStream(target, { flags: 'wx' }));
        continue;
      }
      entry.resume();
    }
  })();
  try {
    await Promise.all([pipeline(input, ex, signal ? { signal } : {}), done]);
  } catch (cause) {
    if (isInvalidInputError(cause)) throw cause;
    if ((cause as Error).name === 'AbortError') throw cause;
    throw new InvalidInputError(
      'ARCHIVE_INVALID',
      `${file} is not a readable tar archive: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
}
