import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { compareUtf8, InvalidInputError, NotFoundError } from '@lading/digest';
import { compileGlobs } from './glob.js';
import type { TarEntryType } from './tar-header.js';

/** What lading keeps of one file of a tree: enough to write its tar header and to key the layer cache. */
export interface TreeEntry {
  /** Path relative to the root, `/`-separated, no trailing slash. */
  readonly path: string;
  /** Absolute path on disk. */
  readonly abs: string;
  readonly type: TarEntryType | 'socket';
  /** Full st_mode (type and permission bits). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
  readonly ino: bigint;
  readonly dev: bigint;
  readonly nlink: number;
  readonly rdev: bigint;
  readonly linkTarget?: string;
}

export interface WalkOptions {
  /** Only paths matching one of these (and the directories leading to them). */
  readonly include?: readonly string[];
  /** Paths matching one of these are left out, with everything under them. */
  readonly exclude?: readonly string[];
}

export function typeOf(mode: number): TreeEntry['type'] {
  switch (mode & 0o170000) {
    case 0o040000:
      return 'directory';
    case 0o120000:
      return 'symlink';
    case 0o020000:
      return 'character-device';
    case 0o060000:
      return 'block-device';
    case 0o010000:
      return 'fifo';
    case 0o140000:
      return 'socket';
    default:
      return 'file';
  }
}

function entryOf(path: string, abs: string): TreeEntry {
  const st = lstatSync(abs, { bigint: true });
  const mode = Number(st.mode);
  const type = typeOf(mode);
  return {
    path,
    abs,
    type,
    mode,
    uid: Number(st.uid),
    gid: Number(st.gid),
    size: type === 'file' ? Number(st.size) : 0,
    mtimeNs: st.mtimeNs,
    ctimeNs: st.ctimeNs,
    ino: st.ino,
    dev: st.dev,
    nlink: Number(st.nlink),
    rdev: st.rdev,
    ...(type === 'symlink' ? { linkTarget: readlinkSync(abs) } : {}),
  };
}

/**
 * Lists a tree depth-first with each directory's names in byte order (deterministic whatever the file system),
 * without the root itself. Metadata only: contents are not read. Sockets are listed (callers skip them).
 * Synchronous on purpose: on a cached tree a plain lstat loop is several times faster than round trips to the
 * thread pool, and this is all a cache hit costs.
 */
export function readTreeEntries(root: string, options: WalkOptions = {}): TreeEntry[] {
  return [...walkTree(root, options)];
}

/** What the walk needs of a listed entry, whatever else a caller keeps of it. */
export interface WalkedEntry {
  readonly path: string;
  readonly type: TreeEntry['type'];
}

interface OpenDir {
  readonly rel: string;
  readonly abs: string;
  readonly names: string[];
  next: number;
  /** Not matched by `include`: listed only once something under it is (see `pending`). */
  readonly tentative: boolean;
}

/**
 * The entries of `readTreeEntries`, one at a time in the same order, so that a layer can be written while the tree
 * is still being listed. The root is checked before the first entry is asked for.
 */
export function walkTree(root: string, options: WalkOptions = {}): Generator<TreeEntry> {
  checkTreeRoot(root);
  return walkEntries(root, options, entryOf);
}

/** Throws the typed error `walkTree` gives for a root that is missing or not a directory. */
export function checkTreeRoot(root: string): void {
  let rootStat: ReturnType<typeof lstatSync>;
  try {
    rootStat = lstatSync(root);
  } catch (cause) {
    throw new NotFoundError('TREE_NOT_FOUND', `cannot read the tree ${root}: it does not exist`, { cause });
  }
  if (!rootStat?.isDirectory()) {
    throw new InvalidInputError('TREE_NOT_DIRECTORY', `${root} is not a directory; give the root of a tree`);
  }
}

/** `walkTree`'s order and selection, with entries made by `make` from a relative and an absolute path. */
export function* walkEntries<T extends WalkedEntry>(
  root: string,
  options: WalkOptions,
  make: (path: string, abs: string) => T,
): Generator<T> {
  const excluded = compileGlobs(options.exclude ?? []);
  const includes = options.include ?? [];
  const included = compileGlobs(includes);
  const open = (rel: string, abs: string, tentative: boolean): OpenDir => ({
    rel,
    abs,
    names: sortNames(readdirSync(abs)),
    next: 0,
    tentative,
  });
  // Directories kept only if something under them is: held back until then, in order, outermost first.
  const pending: T[] = [];
  const stack: OpenDir[] = [open('', root, false)];
  while (stack.length > 0) {
    const dir = stack[stack.length - 1] as OpenDir;
    if (dir.next >= dir.names.length) {
      stack.pop();
      if (dir.tentative && pending.length > 0 && pending[pending.length - 1]?.path === dir.rel) pending.pop();
      continue;
    }
    const name = dir.names[dir.next++] as string;
    const rel = dir.rel ? `${dir.rel}/${name}` : name;
    if (excluded(rel)) continue;
    // Below the root `join` would only add the slash: skip its normalising (names hold no `/`, `.` or `..`).
    const abs = dir.rel ? `${dir.abs}/${name}` : join(dir.abs, name);
    const e = make(rel, abs);
    if (includes.length > 0 && !included(rel)) {
      // A directory may still lead to included paths: descend, and list it only if something is kept.
      if (e.type !== 'directory') continue;
      pending.push(e);
      stack.push(open(rel, abs, true));
      continue;
    }
    if (pending.length > 0) {
      yield* pending;
      pending.length = 0;
      for (const d of stack) if (d.tentative) (d as { tentative: boolean }).tentative = false;
    }
    yield e;
    if (e.type === 'directory') stack.push(open(rel, abs, false));
  }
}

// Code units from U+D800 up (surrogates and the BMP's last block) are where UTF-16 order and UTF-8 byte order part.
const beyondSurrogates = /[\uD800-\uFFFF]/;

/** Sorts a directory's names in the byte order of their UTF-8 encodings (Go's sort of file names). */
function sortNames(names: string[]): string[] {
  // Below U+D800, comparing UTF-16 code units gives the UTF-8 byte order: the default sort, without encoding.
  if (!names.some((n) => beyondSurrogates.test(n))) return names.sort();
  return names.sort(compareUtf8);
}
