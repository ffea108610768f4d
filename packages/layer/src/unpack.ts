import { execFile } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  rmSync,
  type Stats,
  symlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import type { Digest } from '@lading/digest';
import {
  Digester,
  IntegrityError,
  InvalidInputError,
  isLadingError,
  LadingError,
  OptionError,
} from '@lading/digest';
import type { Header } from 'tar-stream';
import { decompressStream } from './decompress.js';
import { opaqueWhiteout, whiteoutPrefix } from './diff-trees.js';
import { PathTree, parentOf } from './path-tree.js';

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

export interface UnpackOptions {
  readonly signal?: AbortSignal;
  /** Restore owners (lchown). Default: only when running as root. */
  readonly sameOwner?: boolean;
  /**
   * Unpack as an unprivileged user would: device nodes are refused. Default: true unless running as root.
   * (Set it to check what a rootless unpack does while running as root.)
   */
  readonly rootless?: boolean;
  readonly onProgress?: (progress: { readonly entries: number; readonly bytes: number }) => void;
  /**
   * How whiteouts are stored. Default `apply`: what they hide is removed (a flat tree, as vfs or a snapshot keeps
   * it). `overlay`: the target is an overlayfs upper directory holding this layer alone, as moby's overlay2 driver
   * stores it (`pkg/archive/archive_linux.go`): `.wh.x` becomes a character device 0/0 at `x`, and `.wh..wh..opq`
   * marks its directory opaque through `markOpaque` (moby sets `trusted.overlay.opaque=y`; Node has no setxattr).
   * Overlay whiteouts need root (mknod).
   */
  readonly whiteouts?:
    | 'apply'
    | { readonly overlay: { readonly markOpaque: (dir: string) => void | Promise<void> } };
  /**
   * Most bytes of file contents to write (all layers of `unpackLayers` together). An entry that would go past it is
   * refused before anything of it is written: `InvalidInputError` code `UNPACK_TOO_LARGE`.
   */
  readonly maxBytes?: number;
  /** Most tar entries to apply (all layers together, whiteouts included): past it `UNPACK_TOO_MANY_ENTRIES`. */
  readonly maxEntries?: number;
  /** Largest zstd window accepted (default 2^27, zstd's own limit; see `decompressStream`). */
  readonly maxZstdWindow?: number;
}

/** What an unpack has used so far, shared by the layers of one `unpackLayers`. */
interface UnpackBudget {
  entries: number;
  bytes: number;
}

function checkLimit(value: number | undefined, name: string): number {
  if (value === undefined) return Number.POSITIVE_INFINITY;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new OptionError('BAD_UNPACK_LIMIT', `${name} must be a non-negative integer, got ${value}`, {
      key: name,
    });
  }
  return value;
}

export interface LayerSource {
  /** The layer's bytes: plain, gzip or zstd (detected by magic bytes). */
  readonly source: AsyncIterable<Uint8Array>;
  /** Checked against the sha256 of the uncompressed tar once it is applied. */
  readonly diffId?: Digest;
  /** The bytes are a plain tar (already decompressed): no detection by magic bytes. */
  readonly uncompressed?: boolean;
}

/** Symbolic links followed while resolving one path, as Linux's MAXSYMLINKS (and filepath-securejoin) allow. */
const maxSymlinks = 40;

function unsafe(name: string, why: string): InvalidInputError {
  return new InvalidInputError(
    'UNSAFE_TAR_ENTRY',
    `refusing tar entry ${JSON.stringify(name)}: ${why}; the layer is not safe to unpack`,
  );
}

/**
 * Path components of an entry name (or hardlink target). Absolute names and `..` are refused outright: containerd
 * and umoci clean them into the root instead (`../x` lands at `x`), but no tool we know writes such layers, and a
 * layer that has them is hostile or broken, so lading says so rather than guess.
 */
function components(name: string, entry: string, what: string): string[] {
  if (name.startsWith('/')) throw unsafe(entry, `${what} ${JSON.stringify(name)} is absolute`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..'))
    throw unsafe(entry, `${what} ${JSON.stringify(name)} climbs out of the target with '..'`);
  return parts;
}

function badEntry(name: string, why: string): InvalidInputError {
  return new InvalidInputError(
    'BAD_TAR',
    `the layer's entry ${JSON.stringify(name)} is not valid: ${why}; the layer is not a valid tar archive`,
  );
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

function lstatOrUndefined(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw e;
  }
}

/**
 * Applies one layer to a directory, as containerd's and umoci's unpackers do, with these safety rules:
 *
 * - Entry names and hardlink targets that are absolute or contain `..` are refused (`UNSAFE_TAR_ENTRY`).
 * - The parents of an entry are walked from the root with lstat. A parent that is a symlink is followed the way it
 *   resolves inside the container: an absolute target starts again from the root (so `var/run -> /run`, common in
 *   real images, works, as with containerd's `fs.RootPath` and umoci's `SecureJoin`), a relative one from the
 *   link's directory. A resolution that would climb above the root is refused rather than clamped, and so is a
 *   chain of more than 40 links (a loop). Nothing is ever created, changed or removed outside the root.
 * - The entry itself is never followed: whatever is at its path is removed first (a directory over a directory is
 *   merged) and files are created with O_EXCL|O_NOFOLLOW.
 * - Hardlinks must point to an existing non-directory inside the root; device nodes are refused when rootless.
 * - Whiteouts (`.wh.x`, `.wh..wh..opq`) hide what lower layers put there but keep what this layer adds, wherever the
 *   marker comes in the layer (OCI image-spec "Whiteouts"); a whiteout of `.` or `..` is refused.
 * - Directory modes and times are applied last, to paths resolved again without following any symlink.
 *
 * - With `maxEntries` / `maxBytes`, an entry that would go past a cap is refused before anything of it is written
 *   (`UNPACK_TOO_MANY_ENTRIES`, `UNPACK_TOO_LARGE`); zstd windows above `maxZstdWindow` (2^27) are refused first.
 *
 * Errors name the entry. The diffID is checked at the end (`IntegrityError`). A failed layer leaves the target
 * partly applied (as containerd's applier does; its snapshot is then discarded): unpack into a fresh directory.
 */
export async function applyLayer(
  target: string,
  layer: LayerSource,
  options: UnpackOptions = {},
): Promise<{ readonly diffId: Digest; readonly size: number }> {
  return applyWithBudget(target, layer, options, { entries: 0, bytes: 0 });
}

async function applyWithBudget(
  target: string,
  layer: LayerSource,
  options: UnpackOptions,
  budget: UnpackBudget,
): Promise<{ readonly diffId: Digest; readonly size: number }> {
  const maxBytes = checkLimit(options.maxBytes, 'maxBytes');
  const maxEntries = checkLimit(options.maxEntries, 'maxEntries');
  mkdirSync(target, { recursive: true });
  const root = realpathSync(target);
  const chown = options.sameOwner ?? isRoot();
  const rootless = options.rootless ?? !isRoot();
  /** Paths (relative, physical) this layer created or changed, with all their ancestors: whiteouts keep them. */
  const upper = new Set<string>();
  const markUpper = (rel: string) => {
    for (let p = rel; p !== '' && !upper.has(p); p = p.slice(0, Math.max(0, p.lastIndexOf('/'))))
      upper.add(p);
  };
  /** Directory metadata to apply at the end, by physical relative path (a later entry for the same path wins). */
  const dirs = new PathTree<{ mode: number; mtime: Date; uid: number; gid: number }>();
  const diff = new Digester('sha256');
  const { stream } = layer.uncompressed
    ? { stream: layer.source }
    : await decompressStream(
        layer.source,
        options.maxZstdWindow === undefined ? {} : { maxZstdWindow: options.maxZstdWindow },
      );
  const overlay = typeof options.whiteouts === 'object' ? options.whiteouts.overlay : undefined;
  if (overlay !== undefined && rootless) {
    throw new InvalidInputError(
      'OVERLAY_WHITEOUTS_NEED_ROOT',
      'overlay whiteouts are character devices: unpacking them needs root',
    );
  }
  async function* hashed(): AsyncGenerator<Uint8Array> {
    for await (const chunk of stream) {
      options.signal?.throwIfAborted();
      diff.update(chunk);
      yield chunk;
    }
  }
  /**
   * Times of directories whose contents this layer changes, taken before the first change: a directory the layer
   * has no entry for keeps its time from the lower layers (as umoci restores it), so results do not depend on the
   * clock.
   */
  const touched = new Map<string, { atime: Date; mtime: Date; mode: number }>();
  // Without root, a read-only directory from a lower layer (0555, 0500...) cannot take new entries: it is opened up
  // for its owner while the layer is applied and its mode put back at the end, as umoci --rootless does.
  const privileged = isRoot();
  const touch = (dirRel: string, st: Stats = lstatSync(abs(dirRel))) => {
    if (touched.has(dirRel)) return;
    touched.set(dirRel, { atime: st.atime, mtime: st.mtime, mode: st.mode & 0o7777 });
    if (!privileged && (st.mode & 0o700) !== 0o700) chmodSync(abs(dirRel), (st.mode & 0o7777) | 0o700);
  };
  /** rm -rf that, without root, opens up read-only directories inside the subtree first. */
  const removeTree = (p: string) => {
    try {
      rmSync(p, { recursive: true, force: true });
    } catch (error) {
      if (privileged || (error as NodeJS.ErrnoException).code !== 'EACCES') throw error;
      const unlock = (q: string) => {
        const st = lstatSync(q);
        if (!st.isDirectory()) return;
        chmodSync(q, (st.mode & 0o7777) | 0o700);
        for (const n of readdirSync(q)) unlock(join(q, n));
      };
      unlock(p);
      rmSync(p, { recursive: true, force: true });
    }
  };
  const forgetDirs = (rel: string) => dirs.deleteTree(rel);
  const abs = (rel: string) => (rel === '' ? root : join(root, rel));

  /**
   * Resolves the parent directory `parts` of entry `name` inside the root, following symlinks as described above.
   * Returns the physical path relative to the root (every component a real directory), or undefined when it does
   * not exist and `create` is false. With `create`, missing directories are made and a non-directory in the way
   * is replaced by one.
   */
  function resolveDir(parts: readonly string[], name: string, create: boolean): string | undefined {
    const stack: string[] = [];
    // Components still to walk, last one first (links push their targets' components on top).
    const todo = [...parts].reverse();
    let links = 0;
    while (todo.length > 0) {
      const c = todo.pop() as string;
      if (c === '' || c === '.') continue;
      if (c === '..') {
        if (stack.length === 0) throw unsafe(name, 'a symbolic link on its path leads out of the target');
        stack.pop();
        continue;
      }
      stack.push(c);
      const rel = stack.join('/');
      const p = abs(rel);
      const st = lstatOrUndefined(p);
      if (st?.isDirectory()) {
        if (!privileged && (st.mode & 0o700) !== 0o700) touch(rel, st);
        continue;
      }
      if (st?.isSymbolicLink()) {
        if (++links > maxSymlinks) throw unsafe(name, `too many levels of symbolic links at ${rel}`);
        const to = readlinkSync(p);
        stack.pop();
        if (to.startsWith('/')) stack.length = 0;
        for (const t of to.split('/').reverse()) todo.push(t);
        continue;
      }
      if (!create) return undefined;
      touch(parentOf(rel));
      if (st !== undefined) removeTree(p);
      mkdirSync(p, { mode: 0o755 });
      markUpper(rel);
    }
    return stack.join('/');
  }

  /** Removes `rel` (or only its children, for an opaque whiteout) except what this layer put there. */
  function hideLower(rel: string, keepSelf: boolean): void {
    const st = lstatOrUndefined(abs(rel));
    if (st === undefined) return;
    if (!keepSelf && !upper.has(rel)) {
      touch(parentOf(rel));
      removeTree(abs(rel));
      forgetDirs(rel);
      return;
    }
    if (!st.isDirectory()) return;
    for (const child of readdirSync(abs(rel))) hideLower(rel === '' ? child : `${rel}/${child}`, false);
  }

  async function writeFileEntry(
    dst: string,
    entry: AsyncIterable<Buffer>,
    uid: number,
    gid: number,
    mode: number,
    mtime: Date,
  ): Promise<void> {
    const fd = openSync(
      dst,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o600,
    );
    try {
      for await (const chunk of entry) {
        for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off, chunk.length - off);
      }
      // Owner before mode: chown clears setuid and setgid.
      if (chown) fchownSync(fd, uid, gid);
      fchmodSync(fd, mode);
      futimesSync(fd, mtime, mtime);
    } finally {
      closeSync(fd);
    }
  }

  let entries = 0;
  let bytes = 0;
  /** Refuses the entry before anything of it is written when it would go past a cap. */
  const admit = (h: Header) => {
    if (budget.entries + 1 > maxEntries) {
      throw new InvalidInputError(
        'UNPACK_TOO_MANY_ENTRIES',
        `unpacking stopped before entry ${JSON.stringify(h.name)}: more than the ${maxEntries} entries allowed (maxEntries)`,
      );
    }
    const size = h.type === 'file' || h.type === 'contiguous-file' ? (h.size ?? 0) : 0;
    if (budget.bytes + size > maxBytes) {
      throw new InvalidInputError(
        'UNPACK_TOO_LARGE',
        `unpacking stopped before entry ${JSON.stringify(h.name)} (${size} bytes): more than the ${maxBytes} bytes of file contents allowed (maxBytes)`,
      );
    }
    budget.entries++;
    budget.bytes += size;
  };

  async function applyEntry(
    entry: AsyncIterable<Buffer> & { header: Header; resume(): unknown },
  ): Promise<void> {
    const h: Header = entry.header;
    const name = h.name;
    // tar-stream reads a size field that is not octal as null, and then waits for the entry's end forever (its
    // check `size >= 0` passes null). Go's archive/tar refuses such a header; so does lading, before reading on.
    if (!Number.isSafeInteger(h.size) || (h.size as number) < 0)
      throw badEntry(name, 'its size is not a number');
    // tar-stream reads PAX global headers (git archive writes one) itself. A type it does not know (it says null:
    // GNU sparse files, volume labels, ...) is refused, as containerd and umoci do, before anything on disk is
    // touched: written as a plain file it would come out wrong.
    if (!h.type || !entryTypes.has(h.type)) {
      throw new InvalidInputError(
        'UNSUPPORTED_TAR_ENTRY',
        `the layer's entry ${JSON.stringify(name)} is of a tar type a layer cannot carry (${h.type ?? 'unknown to tar-stream: GNU sparse, volume label or other'}); nothing was written for it`,
      );
    }
    const parts = components(name, name, 'its name');
    admit(h);
    const mode = (h.mode ?? 0o644) & 0o7777;
    // tar-stream applies PAX path, linkpath and size only; ids and times too large for USTAR come in PAX as well.
    const pax = (h.pax ?? {}) as Record<string, string | undefined>;
    const uid = paxInteger(pax.uid) ?? h.uid ?? 0;
    const gid = paxInteger(pax.gid) ?? h.gid ?? 0;
    const mtime = paxTime(pax.mtime) ?? h.mtime ?? new Date(0);
    // Header fields no file can have are the layer's fault, not the file system's: refused before anything is made.
    if (Number.isNaN(mtime.getTime())) throw badEntry(name, 'its modification time is not a time');
    if (h.type === 'symlink' && !h.linkname) throw badEntry(name, 'it is a symbolic link to nothing');
    if (parts.length === 0) {
      // The root itself: a directory entry gives it its mode and time (as umoci does); any other type is ignored,
      // so the root can never become a link.
      entry.resume();
      if (h.type === 'directory') dirs.set('', { mode, mtime, uid, gid });
      return;
    }
    const base = parts[parts.length - 1] as string;
    const parentParts = parts.slice(0, -1);
    if (base.startsWith(whiteoutPrefix)) {
      entry.resume();
      const opaque = base === opaqueWhiteout;
      const victim = opaque ? '' : base.slice(whiteoutPrefix.length);
      if (!opaque && (victim === '' || victim === '.' || victim === '..'))
        throw unsafe(name, 'a whiteout of . or ..');
      if (overlay !== undefined) {
        // The upper directory holds this layer alone: the marker is kept for overlayfs to read. Missing parents are
        // made, as moby's unpacker makes them.
        const dir = resolveDir(parentParts, name, true) as string;
        if (opaque) {
          await overlay.markOpaque(abs(dir));
        } else {
          const rel = dir === '' ? victim : `${dir}/${victim}`;
          // A whiteout hides lower layers only: what this layer itself put at the path stays.
          if (lstatOrUndefined(abs(rel)) === undefined) {
            touch(dir);
            await run('mknod', ['-m', '0', abs(rel), 'c', '0', '0']);
            const pax = (h.pax ?? {}) as Record<string, string | undefined>;
            if (chown)
              lchownSync(abs(rel), paxInteger(pax.uid) ?? h.uid ?? 0, paxInteger(pax.gid) ?? h.gid ?? 0);
          }
        }
        return;
      }
      const dir = resolveDir(parentParts, name, false);
      if (dir === undefined) return;
      if (opaque) hideLower(dir, true);
      else hideLower(dir === '' ? victim : `${dir}/${victim}`, false);
      return;
    }
    const type = h.type;
    if ((type === 'character-device' || type === 'block-device') && rootless) {
      throw unsafe(name, 'device nodes can only be created as root');
    }
    // A hardlink's target is checked before anything is removed or created for the entry.
    const linkParts = type === 'link' ? components(h.linkname ?? '', name, 'hardlink target') : [];
    if (type === 'link' && linkParts.length === 0) throw unsafe(name, 'a hardlink to the root');
    const dir = resolveDir(parentParts, name, true) as string;
    const rel = dir === '' ? base : `${dir}/${base}`;
    const dst = abs(rel);
    const existing = lstatOrUndefined(dst);
    touch(dir);
    if (existing && !(type === 'directory' && existing.isDirectory())) {
      removeTree(dst);
      if (existing.isDirectory()) forgetDirs(rel);
    }
    switch (type) {
      case 'directory':
        entry.resume();
        if (!existing?.isDirectory()) mkdirSync(dst, { mode: 0o700 });
        dirs.set(rel, { mode, mtime, uid, gid });
        break;
      case 'file':
      case 'contiguous-file':
        await writeFileEntry(dst, entry, uid, gid, mode, mtime);
        bytes += h.size ?? 0;
        break;
      case 'symlink':
        entry.resume();
        symlinkSync(h.linkname ?? '', dst);
        if (chown) lchownSync(dst, uid, gid);
        lutimesSync(dst, mtime, mtime);
        break;
      case 'link': {
        entry.resume();
        const last = linkParts[linkParts.length - 1] as string;
        const srcDir = resolveDir(linkParts.slice(0, -1), name, false);
        const srcRel = srcDir === undefined ? undefined : srcDir === '' ? last : `${srcDir}/${last}`;
        const st = srcRel === undefined ? undefined : lstatOrUndefined(abs(srcRel));
        if (srcRel === undefined || st === undefined)
          throw unsafe(name, `hardlink target ${JSON.stringify(h.linkname)} is not in the layer chain`);
        if (st.isDirectory())
          throw unsafe(name, `hardlink target ${JSON.stringify(h.linkname)} is a directory`);
        // link(2) does not follow a symlink at the target: a link to a symlink is a second name for the symlink.
        linkSync(abs(srcRel), dst);
        break;
      }
      case 'fifo':
        entry.resume();
        await run('mkfifo', ['-m', mode.toString(8), dst]);
        if (chown) lchownSync(dst, uid, gid);
        lutimesSync(dst, mtime, mtime);
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
        if (chown) lchownSync(dst, uid, gid);
        lutimesSync(dst, mtime, mtime);
        break;
    }
    markUpper(rel);
    entries++;
    options.onProgress?.({ entries, bytes });
  }

  let current: string | undefined;
  // Loaded here: tar-stream is a fifth of this package's load time, and only unpacking needs it.
  const { extract } = await import('tar-stream');
  const ex = extract();
  const feeding = pipeline(Readable.from(hashed()), ex);
  feeding.catch(() => {});
  try {
    for await (const entry of ex) {
      current = entry.header.name;
      await applyEntry(entry as unknown as AsyncIterable<Buffer> & { header: Header; resume(): unknown });
      current = undefined;
    }
    await feeding;
    // Deepest first: a parent's time is set after its children are done with, and a parent opened up for its owner
    // is closed again only after them. Every path is walked again without following symlinks: a later entry may
    // have replaced a directory (or a parent) with a link out.
    const depths = new Map<string, number>();
    for (const rel of [...dirs.keys(), ...touched.keys()])
      depths.set(rel, rel === '' ? 0 : rel.split('/').length);
    const order = [...depths.keys()].sort((a, b) => (depths.get(b) as number) - (depths.get(a) as number));
    for (const rel of order) {
      if (!isRealDirectory(root, rel)) continue;
      const d = dirs.get(rel);
      if (d === undefined) {
        // A directory this layer has no entry for keeps its mode and times from below.
        const t = touched.get(rel) as { atime: Date; mtime: Date; mode: number };
        if (!privileged) chmodSync(abs(rel), t.mode);
        lutimesSync(abs(rel), t.atime, t.mtime);
        continue;
      }
      const fd = openSync(abs(rel), constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
      try {
        if (chown) fchownSync(fd, d.uid, d.gid);
        fchmodSync(fd, d.mode);
        futimesSync(fd, d.mtime, d.mtime);
      } finally {
        closeSync(fd);
      }
    }
  } catch (error) {
    ex.destroy();
    throw describeFailure(error, current);
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

/** A PAX id: decimal digits only. */
function paxInteger(value: string | undefined): number | undefined {
  return value !== undefined && /^\d{1,15}$/.test(value) ? Number(value) : undefined;
}

/** A PAX time: seconds since 1970 with an optional fraction (`1700000000.123456789`). */
function paxTime(value: string | undefined): Date | undefined {
  if (value === undefined || !/^-?\d{1,15}(\.\d+)?$/.test(value)) return undefined;
  return new Date(Number(value) * 1000);
}

/** Whether every component of `rel` under `root` is a directory (no symlink anywhere on the way). */
function isRealDirectory(root: string, rel: string): boolean {
  let p = root;
  if (rel === '') return lstatOrUndefined(root)?.isDirectory() === true;
  for (const c of rel.split('/')) {
    p = join(p, c);
    const st = lstatOrUndefined(p);
    if (!st?.isDirectory()) return false;
  }
  return true;
}

/**
 * Typed errors pass through. A file operation that failed (it has a syscall) is an unexpected error naming the
 * entry; anything else came from reading the stream, so the layer is not a valid tar.
 */
function describeFailure(error: unknown, entry: string | undefined): unknown {
  if (isLadingError(error) || (error as Error)?.name === 'AbortError') return error;
  const message = (error as Error)?.message ?? String(error);
  const at = entry === undefined ? '' : ` at entry ${JSON.stringify(entry)}`;
  if ((error as NodeJS.ErrnoException)?.syscall !== undefined) {
    return new LadingError('UNPACK_FAILED', `cannot unpack the layer${at}: ${message}`, { cause: error });
  }
  return new InvalidInputError('BAD_TAR', `the layer is not a valid tar archive${at}: ${message}`, {
    cause: error,
  });
}

/** Applies layers in order (lowest first) to a directory, checking each diffID that is given. */
export async function unpackLayers(
  target: string,
  layers: readonly LayerSource[],
  options: UnpackOptions = {},
): Promise<void> {
  const budget: UnpackBudget = { entries: 0, bytes: 0 };
  for (const layer of layers) await applyWithBudget(target, layer, options, budget);
}
