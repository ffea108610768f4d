import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidInputError, NotFoundError } from '@lading/digest';
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

function typeOf(mode: number): TreeEntry['type'] {
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
  const base = {
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
  };
  return type === 'symlink' ? { ...base, linkTarget: readlinkSync(abs) } : base;
}

/**
 * Lists a tree depth-first with each directory's names in byte order (deterministic whatever the file system),
 * without the root itself. Metadata only: contents are not read. Sockets are listed (callers skip them).
 * Synchronous on purpose: on a cached tree a plain lstat loop is several times faster than round trips to the
 * thread pool, and this is all a cache hit costs.
 */
export function readTreeEntries(root: string, options: WalkOptions = {}): TreeEntry[] {
  let rootStat: ReturnType<typeof lstatSync>;
  try {
    rootStat = lstatSync(root);
  } catch (cause) {
    throw new NotFoundError('TREE_NOT_FOUND', `cannot read the tree ${root}: it does not exist`, { cause });
  }
  if (!rootStat?.isDirectory()) {
    throw new InvalidInputError('TREE_NOT_DIRECTORY', `${root} is not a directory; give the root of a tree`);
  }
  const excluded = compileGlobs(options.exclude ?? []);
  const includes = options.include ?? [];
  const included = compileGlobs(includes);
  const out: TreeEntry[] = [];
  const walk = (dirRel: string, dirAbs: string): void => {
    const names = readdirSync(dirAbs).sort(compareNames);
    for (const name of names) {
      const rel = dirRel ? `${dirRel}/${name}` : name;
      if (excluded(rel)) continue;
      const abs = join(dirAbs, name);
      const e = entryOf(rel, abs);
      if (includes.length > 0 && !included(rel)) {
        // A directory may still lead to included paths: descend, and keep it only if something was kept.
        if (e.type !== 'directory') continue;
        const mark = out.length;
        out.push(e);
        walk(rel, abs);
        if (out.length === mark + 1) out.pop();
        continue;
      }
      out.push(e);
      if (e.type === 'directory') walk(rel, abs);
    }
  };
  walk('', root);
  return out;
}

/** Byte order of the UTF-8 names, as Go's sort of file names gives. */
export function compareNames(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
