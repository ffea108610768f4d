import { execFile } from 'node:child_process';
import {
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  linkSync,
  lutimesSync,
  mkdirSync,
  openSync,
  symlinkSync,
  writeSync,
} from 'node:fs';
import { promisify } from 'node:util';
import { InvalidInputError } from '@lading/digest';
import type { Header } from 'tar-stream';
import { badEntry, components, lstatOrUndefined, unsafe } from './unpack-checks.js';
import type { UnpackTarget } from './unpack-target.js';
import { opaqueWhiteout, whiteoutPrefix } from './whiteouts.js';

const run = promisify(execFile);

/** The entry types a layer carries (tar-stream's names). */
const entryTypes = new Set<string>([
  'file',
  'contiguous-file',
  'directory',
  'symlink',
  'link',
  'fifo',
  'character-device',
  'block-device',
]);

/** One tar entry as tar-stream hands it out: its header and its contents. */
export type TarEntry = AsyncIterable<Buffer> & { header: Header; resume(): unknown };

/** How the entries of one layer are applied. */
export interface EntryContext {
  readonly target: UnpackTarget;
  /** Refuse device nodes. */
  readonly rootless: boolean;
  /** Keep whiteouts as overlayfs reads them instead of applying them. */
  readonly overlay: { readonly markOpaque: (dir: string) => void | Promise<void> } | undefined;
  /** Refuses the entry before anything of it is written when it would go past a cap. */
  admit(h: Header): void;
}

/** Applies one entry; returns whether it made something (whiteouts and the root's entry do not count). */
export async function applyEntry(entry: TarEntry, ctx: EntryContext): Promise<boolean> {
  const h: Header = entry.header;
  const name = h.name;
  checkHeader(h);
  // A name of slashes alone is the root (umoci writes its root entry as "/"), not an absolute path.
  const parts = /^\/+$/.test(name) ? [] : components(name, name, 'its name');
  ctx.admit(h);
  const mode = (h.mode ?? 0o644) & 0o7777;
  const { uid, gid, mtime } = ownerAndTime(h);
  // Header fields no file can have are the layer's fault, not the file system's: refused before anything is made.
  if (Number.isNaN(mtime.getTime())) throw badEntry(name, 'its modification time is not a time');
  if (h.type === 'symlink' && !h.linkname) throw badEntry(name, 'it is a symbolic link to nothing');
  if (parts.length === 0) {
    // The root itself: a directory entry gives it its mode and time (as umoci does); any other type is ignored,
    // so the root can never become a link.
    entry.resume();
    if (h.type === 'directory') ctx.target.dirs.set('', { mode, mtime, uid, gid });
    return false;
  }
  const base = parts[parts.length - 1] as string;
  if (base.startsWith(whiteoutPrefix)) {
    entry.resume();
    await applyWhiteout(h, parts, ctx);
    return false;
  }
  await makeEntry(entry, parts, ctx, { mode, uid, gid, mtime });
  return true;
}

function checkHeader(h: Header): void {
  // tar-stream reads a size field that is not octal as null, and then waits for the entry's end forever (its
  // check `size >= 0` passes null). Go's archive/tar refuses such a header; so does lading, before reading on.
  if (!Number.isSafeInteger(h.size) || (h.size as number) < 0)
    throw badEntry(h.name, 'its size is not a number');
  // tar-stream reads PAX global headers (git archive writes one) itself. A type it does not know (it says null:
  // GNU sparse files, volume labels, ...) is refused, as containerd and umoci do, before anything on disk is
  // touched: written as a plain file it would come out wrong.
  if (!h.type || !entryTypes.has(h.type)) {
    throw new InvalidInputError(
      'UNSUPPORTED_TAR_ENTRY',
      `the layer's entry ${JSON.stringify(h.name)} is of a tar type a layer cannot carry (${h.type ?? 'unknown to tar-stream: GNU sparse, volume label or other'}); nothing was written for it`,
    );
  }
}

/** tar-stream applies PAX path, linkpath and size only; ids and times too large for USTAR come in PAX as well. */
function ownerAndTime(h: Header): { uid: number; gid: number; mtime: Date } {
  const pax = (h.pax ?? {}) as Record<string, string | undefined>;
  return {
    uid: paxInteger(pax.uid) ?? h.uid ?? 0,
    gid: paxInteger(pax.gid) ?? h.gid ?? 0,
    mtime: paxTime(pax.mtime) ?? h.mtime ?? new Date(0),
  };
}

/**
 * `.wh.x` and `.wh..wh..opq` hide what lower layers put there but keep what this layer adds, wherever the marker
 * comes in the layer (OCI image-spec "Whiteouts"); a whiteout of `.` or `..` is refused.
 */
async function applyWhiteout(h: Header, parts: readonly string[], ctx: EntryContext): Promise<void> {
  const { target } = ctx;
  const name = h.name;
  const base = parts[parts.length - 1] as string;
  const parentParts = parts.slice(0, -1);
  const opaque = base === opaqueWhiteout;
  const victim = opaque ? '' : base.slice(whiteoutPrefix.length);
  if (!opaque && (victim === '' || victim === '.' || victim === '..'))
    throw unsafe(name, 'a whiteout of . or ..');
  if (ctx.overlay !== undefined) {
    // The upper directory holds this layer alone: the marker is kept for overlayfs to read. Missing parents are
    // made, as moby's unpacker makes them.
    const dir = target.resolveDir(parentParts, name, true) as string;
    if (opaque) {
      await ctx.overlay.markOpaque(target.abs(dir));
      return;
    }
    const rel = dir === '' ? victim : `${dir}/${victim}`;
    // A whiteout hides lower layers only: what this layer itself put at the path stays.
    if (lstatOrUndefined(target.abs(rel)) === undefined) {
      target.touch(dir);
      await run('mknod', ['-m', '0', target.abs(rel), 'c', '0', '0']);
      const { uid, gid } = ownerAndTime(h);
      if (target.chown) lchownSync(target.abs(rel), uid, gid);
    }
    return;
  }
  const dir = target.resolveDir(parentParts, name, false);
  if (dir === undefined) return;
  if (opaque) target.hideLower(dir, true);
  else target.hideLower(dir === '' ? victim : `${dir}/${victim}`, false);
}

interface EntryMeta {
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtime: Date;
}

/** Makes a file, directory, link or node: whatever is at its path is removed first (a directory over one merges). */
async function makeEntry(entry: TarEntry, parts: readonly string[], ctx: EntryContext, meta: EntryMeta) {
  const { target } = ctx;
  const h = entry.header;
  const name = h.name;
  const type = h.type;
  const { mode, uid, gid, mtime } = meta;
  const base = parts[parts.length - 1] as string;
  if ((type === 'character-device' || type === 'block-device') && ctx.rootless) {
    throw unsafe(name, 'device nodes can only be created as root');
  }
  // A hardlink's target is checked before anything is removed or created for the entry.
  const linkParts = type === 'link' ? components(h.linkname ?? '', name, 'hardlink target') : [];
  if (type === 'link' && linkParts.length === 0) throw unsafe(name, 'a hardlink to the root');
  const dir = target.resolveDir(parts.slice(0, -1), name, true) as string;
  const rel = dir === '' ? base : `${dir}/${base}`;
  const dst = target.abs(rel);
  target.touch(dir);
  /** Whatever is at the path goes first (a directory over a directory merges); returns whether one stays. */
  const clear = (): boolean => {
    const existing = lstatOrUndefined(dst);
    if (existing === undefined) return false;
    if (type === 'directory' && existing.isDirectory()) return true;
    target.removeTree(dst);
    if (existing.isDirectory()) target.forgetDirs(rel);
    return false;
  };
  // The common kinds are created first and the path looked at only when it is taken (EEXIST): unpacking into a
  // fresh directory costs no lstat per entry. The rare kinds clear the path first.
  const common = type === 'directory' || type === 'file' || type === 'contiguous-file' || type === 'symlink';
  if (!common) clear();
  const own = (p: string) => {
    if (target.chown) lchownSync(p, uid, gid);
    lutimesSync(p, mtime, mtime);
  };
  switch (type) {
    case 'directory':
      entry.resume();
      createOrClear(() => mkdirSync(dst, { mode: 0o700 }), clear);
      target.dirs.set(rel, { mode, mtime, uid, gid });
      break;
    case 'file':
    case 'contiguous-file':
      await writeFileEntry(dst, entry, target.chown, meta, clear);
      break;
    case 'symlink':
      entry.resume();
      createOrClear(() => symlinkSync(h.linkname ?? '', dst), clear);
      own(dst);
      break;
    case 'link': {
      entry.resume();
      const last = linkParts[linkParts.length - 1] as string;
      const srcDir = target.resolveDir(linkParts.slice(0, -1), name, false);
      const srcRel = srcDir === undefined ? undefined : srcDir === '' ? last : `${srcDir}/${last}`;
      const st = srcRel === undefined ? undefined : lstatOrUndefined(target.abs(srcRel));
      if (srcRel === undefined || st === undefined)
        throw unsafe(name, `hardlink target ${JSON.stringify(h.linkname)} is not in the layer chain`);
      if (st.isDirectory())
        throw unsafe(name, `hardlink target ${JSON.stringify(h.linkname)} is a directory`);
      // link(2) does not follow a symlink at the target: a link to a symlink is a second name for the symlink.
      linkSync(target.abs(srcRel), dst);
      break;
    }
    case 'fifo':
      entry.resume();
      await run('mkfifo', ['-m', mode.toString(8), dst]);
      own(dst);
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
      own(dst);
      break;
  }
  target.markUpper(rel);
}

/**
 * Runs `create`; when the path is taken (EEXIST), `clear` removes what is there (or says a directory stays, merged)
 * and `create` runs again.
 */
function createOrClear<T>(create: () => T, clear: () => boolean): T | undefined {
  try {
    return create();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return clear() ? undefined : create();
}

/** Creates a regular file with O_EXCL|O_NOFOLLOW (never through a link) and writes its contents. */
async function writeFileEntry(
  dst: string,
  entry: AsyncIterable<Buffer>,
  chown: boolean,
  meta: EntryMeta,
  clear: () => boolean,
) {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const fd = createOrClear(() => openSync(dst, flags, 0o600), clear) as number;
  try {
    for await (const chunk of entry) {
      for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off, chunk.length - off);
    }
    // Owner before mode: chown clears setuid and setgid.
    if (chown) fchownSync(fd, meta.uid, meta.gid);
    fchmodSync(fd, meta.mode);
    futimesSync(fd, meta.mtime, meta.mtime);
  } finally {
    closeSync(fd);
  }
}

/** A PAX id: decimal digits only. */
function paxInteger(value: string | undefined): number | undefined {
  return value !== undefined && /^\d{1,15}$/.test(value) ? Number(value) : undefined;
}

/** A PAX time: seconds since 1970 with an optional fraction (`1700000000.123456789`). */
function paxTime(value: string | undefined): Date | undefined {
  if (value === undefined || !/^-?\d{1,15}(\.\d+)?$/.test(value)) return undefined;
  return new Date(Number(value) * 1000);
}
