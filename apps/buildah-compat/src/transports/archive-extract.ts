import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, symlink } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { InvalidInputError, NotFoundError } from '@lading/digest';
import { extract } from 'tar-stream';

/** A member path that stays inside the extraction root, or an error: archives are input, not trusted. */
function safePath(root: string, name: string, archive: string): string {
  const clean = normalize(name.replace(/^\.\/+/, ''));
  const target = join(root, clean);
  const rel = relative(root, target);
  if (isAbsolute(name) || rel.startsWith('..') || isAbsolute(rel)) {
    throw new InvalidInputError(
      'ARCHIVE_UNSAFE_PATH',
      `${archive}: entry ${JSON.stringify(name)} points outside the archive`,
    );
  }
  return target;
}

/**
 * Unpacks an image archive (oci-archive, docker-archive) into `root`: regular files, directories, and symlinks that
 * stay inside the archive (docker-archive's legacy `layer.tar` links). Anything else is skipped.
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
      const { name, type, linkname } = entry.header;
      const target = safePath(root, name, file);
      if (type === 'directory') {
        await mkdir(target, { recursive: true });
      } else if (type === 'file' || type === 'contiguous-file') {
        await mkdir(dirname(target), { recursive: true });
        await pipeline(entry, createWriteStream(target, { flags: 'wx' }));
        continue;
      } else if (type === 'symlink' && linkname) {
        const resolved = join(dirname(target), linkname);
        const rel = relative(root, resolved);
        if (!isAbsolute(linkname) && !rel.startsWith('..')) {
          await mkdir(dirname(target), { recursive: true });
          await symlink(linkname, target);
        }
      }
      entry.resume();
    }
  })();
  try {
    await Promise.all([pipeline(input, ex, signal ? { signal } : {}), done]);
  } catch (cause) {
    if (cause instanceof InvalidInputError) throw cause;
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
