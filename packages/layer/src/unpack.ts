import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import {
  chmod,
  lchown,
  link,
  lstat,
  lutimes,
  mkdir,
  open,
  readdir,
  readlink,
  realpath,
  rm,
  symlink,
  utimes,
} from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import type { Digest } from '@lading/digest';
import { Digester, IntegrityError, InvalidInputError } from '@lading/digest';
import { extract, type Header } from 'tar-stream';
import { decompressStream } from './decompress.js';
import { opaqueWhiteout, whiteoutPrefix } from './diff-trees.js';

const run = promisify(execFile);

export interface UnpackOptions {
  readonly signal?: AbortSignal;
  /** Restore owners (lchown). Default: only when running as root. */
  readonly sameOwner?: boolean;
  readonly onProgress?: (progress: { readonly entries: number; readonly bytes: number }) => void;
}

export interface LayerSource {
  /** The layer's bytes: plain, gzip or zstd (detected by magic bytes). */
  readonly source: AsyncIterable<Uint8Array>;
  /** Checked against the sha256 of the uncompressed tar once it is applied. */
  readonly diffId?: Digest;
}

function unsafe(name: string, why: string): InvalidInputError {
  return new InvalidInputError(
    'UNSAFE_TAR_ENTRY',
    `refusing tar entry ${JSON.stringify(name)}: ${why}; the layer is not safe to unpack`,
  );
}

/** Path components of an entry name; refuses absolute names and `..`. */
function components(name: string, what = 'name'): string[] {
  if (name.startsWith('/')) throw unsafe(name, `absolute ${what}`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw unsafe(name, `${what} climbs out of the target with '..'`);
  return parts;
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

async function lstatOrUndefined(p: string) {
  try {
    return await lstat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * Applies one layer to a directory. Every parent of every entry is walked with lstat from the root: a parent that is
 * a symlink is followed only if its target is relative and stays inside the root, so nothing is ever created,
 * changed or removed outside it. Refused with `InvalidInputError` (`UNSAFE_TAR_ENTRY`): absolute names, `..`,
 * symlinked parents that lead out, hardlinks to outside or to missing paths, whiteouts of `.` or `..`, and device
 * nodes when not root. Directory modes and times are set last. The diffID is checked at the end (`IntegrityError`).
 */
export async function applyLayer(
  target: string,
  layer: LayerSource,
  options: UnpackOptions = {},
): Promise<{ readonly diffId: Digest; readonly size: number }> {
  await mkdir(target, { recursive: true });
  const root = await realpath(target);
  const chown = options.sameOwner ?? isRoot();
  const created = new Set<string>();
  const dirs: { abs: string; mode: number; mtime: Date }[] = [];
  const diff = new Digester('sha256');
  const { stream } = await decompressStream(layer.source);
  async function* hashed(): AsyncGenerator<Uint8Array> {
    for await (const chunk of stream) {
      options.signal?.throwIfAborted();
      diff.update(chunk);
      yield chunk;
    }
  }
  const inside = (p: string) => p === root || p.startsWith(root + sep);

  /** Walks `parts` from the root without following a symlink out; creates missing directories when asked. */
  async function resolveDir(
    parts: readonly string[],
    name: string,
    create: boolean,
    depth = 0,
  ): Promise<string | undefined> {
    if (depth > 40) throw unsafe(name, 'too many levels of symbolic links');
    let cur = root;
    for (let i = 0; i < parts.length; i++) {
      const c = parts[i] as string;
      const p = join(cur, c);
      const st = await lstatOrUndefined(p);
      if (st === undefined) {
        if (!create) return undefined;
        await mkdir(p, { mode: 0o755 });
        created.add(relative(root, p));
        cur = p;
      } else if (st.isDirectory()) {
        cur = p;
      } else if (st.isSymbolicLink()) {
        const to = await readlink(p);
        if (isAbsolute(to))
          throw unsafe(name, `its parent ${relative(root, p)} is a symlink to the absolute path ${to}`);
        const dest = resolve(cur, to);
        if (!inside(dest))
          throw unsafe(name, `its parent ${relative(root, p)} is a symlink that leads out of the target`);
        const rest = [
          ...relative(root, dest)
            .split(sep)
            .filter((x) => x !== ''),
          ...parts.slice(i + 1),
        ];
        return resolveDir(rest, name, create, depth + 1);
      } else {
        if (!create) return undefined;
        await rm(p, { force: true });
        await mkdir(p, { mode: 0o755 });
        created.add(relative(root, p));
        cur = p;
      }
    }
    return cur;
  }

  async function writeFileEntry(
    dst: string,
    entry: AsyncIterable<Buffer>,
    h: Header,
    mode: number,
  ): Promise<void> {
    const fh = await open(
      dst,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o600,
    );
    try {
      for await (const chunk of entry) await fh.write(chunk);
      // Owner before mode: chown clears setuid and setgid.
      if (chown) await fh.chown(h.uid ?? 0, h.gid ?? 0);
      await fh.chmod(mode);
    } finally {
      await fh.close();
    }
  }

  let entries = 0;
  let bytes = 0;
  const ex = extract();
  const feeding = pipeline(Readable.from(hashed()), ex);
  feeding.catch(() => {});
  try {
    for await (const entry of ex) {
      const h: Header = entry.header;
      const name = h.name;
      const parts = components(name);
      const mode = (h.mode ?? 0o644) & 0o7777;
      const mtime = h.mtime ?? new Date(0);
      if (parts.length === 0) {
        entry.resume();
        continue;
      }
      const base = parts[parts.length - 1] as string;
      const parentParts = parts.slice(0, -1);
      if (base.startsWith(whiteoutPrefix)) {
        entry.resume();
        if (base === opaqueWhiteout) {
          const dir = await resolveDir(parentParts, name, true);
          if (dir === undefined) continue;
          for (const child of await readdir(dir)) {
            const abs = join(dir, child);
            if (!created.has(relative(root, abs))) await rm(abs, { recursive: true, force: true });
          }
          continue;
        }
        const victim = base.slice(whiteoutPrefix.length);
        if (victim === '' || victim === '.' || victim === '..') throw unsafe(name, 'a whiteout of . or ..');
        const dir = await resolveDir(parentParts, name, false);
        if (dir !== undefined) await rm(join(dir, victim), { recursive: true, force: true });
        continue;
      }
      const type = h.type ?? 'file';
      if ((type === 'character-device' || type === 'block-device') && !isRoot()) {
        throw unsafe(name, 'device nodes can only be created as root');
      }
      const dir = (await resolveDir(parentParts, name, true)) as string;
      const dst = join(dir, base);
      const rel = relative(root, dst);
      const existing = await lstatOrUndefined(dst);
      if (existing && !(type === 'directory' && existing.isDirectory()))
        await rm(dst, { recursive: true, force: true });
      switch (type) {
        case 'directory':
          if (!existing?.isDirectory()) await mkdir(dst, { mode: 0o700 });
          dirs.push({ abs: dst, mode, mtime });
          entry.resume();
          break;
        case 'file':
        case 'contiguous-file':
          await writeFileEntry(dst, entry as unknown as AsyncIterable<Buffer>, h, mode);
          bytes += h.size ?? 0;
          await utimes(dst, mtime, mtime);
          break;
        case 'symlink':
          entry.resume();
          await symlink(h.linkname ?? '', dst);
          await lutimes(dst, mtime, mtime);
          break;
        case 'link': {
          entry.resume();
          const lp = components(h.linkname ?? '', 'hardlink target');
          if (lp.length === 0) throw unsafe(name, 'a hardlink to the root');
          const srcDir = await resolveDir(lp.slice(0, -1), name, false);
          const src = srcDir === undefined ? undefined : join(srcDir, lp[lp.length - 1] as string);
          const st = src === undefined ? undefined : await lstatOrUndefined(src);
          if (src === undefined || st === undefined)
            throw unsafe(name, `hardlink target ${h.linkname} is not in the layer chain`);
          if (st.isDirectory()) throw unsafe(name, `hardlink target ${h.linkname} is a directory`);
          await link(src, dst);
          break;
        }
        case 'fifo':
          entry.resume();
          await run('mkfifo', ['-m', mode.toString(8), dst]);
          await utimes(dst, mtime, mtime);
          break;
        case 'character-device':
        case 'block-device':
          entry.resume();
          await run('mknod', [
            '-m',
            mode.toString(8),
            dst,
            type === 'block-device' ? 'b' : 'c',
            String(h.devmajor ?? 0),
            String(h.devminor ?? 0),
          ]);
          await utimes(dst, mtime, mtime);
          break;
        default:
          entry.resume();
          continue;
      }
      created.add(rel);
      if (chown && type !== 'link' && type !== 'file' && type !== 'contiguous-file')
        await lchown(dst, h.uid ?? 0, h.gid ?? 0);
      entries++;
      options.onProgress?.({ entries, bytes });
    }
    await feeding;
  } catch (error) {
    ex.destroy();
    throw error;
  }
  // Deepest first, so setting a parent's time is not undone by touching its children.
  dirs.sort((a, b) => b.abs.length - a.abs.length);
  for (const d of dirs) {
    await chmod(d.abs, d.mode);
    await utimes(d.abs, d.mtime, d.mtime);
  }
  const diffId = diff.digest();
  if (layer.diffId !== undefined && layer.diffId !== diffId) {
    throw new IntegrityError(
      'DIFFID_MISMATCH',
      `layer applied to ${target} has diffID ${diffId}, expected ${layer.diffId}; the layer blob is corrupt or mislabelled`,
      { expected: layer.diffId, actual: diffId },
    );
  }
  return { diffId, size: diff.size };
}

/** Applies layers in order (lowest first) to a directory, checking each diffID that is given. */
export async function unpackLayers(
  target: string,
  layers: readonly LayerSource[],
  options: UnpackOptions = {},
): Promise<void> {
  for (const layer of layers) await applyLayer(target, layer, options);
}
