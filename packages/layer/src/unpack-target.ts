import {
  chmodSync,
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  futimesSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  rmSync,
  type Stats,
} from 'node:fs';
import { join } from 'node:path';
import { PathTree, parentOf } from './path-tree.js';
import { isRoot, lstatOrUndefined, unsafe } from './unpack-checks.js';

/** Symbolic links followed while resolving one path, as Linux's MAXSYMLINKS (and filepath-securejoin) allow. */
const maxSymlinks = 40;

/** Directory metadata an entry asks for, applied once the layer is done. */
export interface DirMeta {
  readonly mode: number;
  readonly mtime: Date;
  readonly uid: number;
  readonly gid: number;
}

/**
 * The directory one layer is applied to, and what the layer did to it so far: which paths it made (whiteouts keep
 * them), which directories it changed (their times are put back), which directory entries it carried.
 */
export class UnpackTarget {
  readonly root: string;
  /** Restore owners (lchown). */
  readonly chown: boolean;
  /** Without root, read-only directories are opened up for their owner while the layer is applied. */
  readonly privileged = isRoot();
  /** Paths (relative, physical) this layer created or changed, with all their ancestors: whiteouts keep them. */
  readonly #upper = new Set<string>();
  /** Directory metadata to apply at the end, by physical relative path (a later entry for the same path wins). */
  readonly dirs = new PathTree<DirMeta>();
  /**
   * Times of directories whose contents this layer changes, taken before the first change: a directory the layer
   * has no entry for keeps its time from the lower layers (as umoci restores it), so results do not depend on the
   * clock.
   */
  readonly #touched = new Map<string, { atime: Date; mtime: Date; mode: number }>();
  /**
   * Parent directories resolved so far (the entry's parent components, joined, to the physical path): a layer's
   * entries come grouped by directory, so most resolve with no syscall. A resolved path changes only when something
   * that exists is removed or replaced, and all of that goes through `removeTree`, which empties it.
   */
  readonly #resolved = new Map<string, string>();

  constructor(root: string, options: { readonly chown: boolean }) {
    this.root = root;
    this.chown = options.chown;
  }

  abs(rel: string): string {
    return rel === '' ? this.root : join(this.root, rel);
  }

  markUpper(rel: string): void {
    for (let p = rel; p !== '' && !this.#upper.has(p); p = p.slice(0, Math.max(0, p.lastIndexOf('/'))))
      this.#upper.add(p);
  }

  /**
   * Records a directory's times and mode before the layer changes its contents. Without root, a read-only
   * directory from a lower layer (0555, 0500...) cannot take new entries: it is opened up for its owner until the
   * end, as umoci --rootless does.
   */
  touch(dirRel: string, known?: Stats): void {
    if (this.#touched.has(dirRel)) return;
    // Looked at only the first time: once per directory, not once per entry.
    const st = known ?? lstatSync(this.abs(dirRel));
    this.#touched.set(dirRel, { atime: st.atime, mtime: st.mtime, mode: st.mode & 0o7777 });
    if (!this.privileged && (st.mode & 0o700) !== 0o700)
      chmodSync(this.abs(dirRel), (st.mode & 0o7777) | 0o700);
  }

  /** rm -rf that, without root, opens up read-only directories inside the subtree first. */
  removeTree(p: string): void {
    this.#resolved.clear();
    try {
      rmSync(p, { recursive: true, force: true });
    } catch (error) {
      if (this.privileged || (error as NodeJS.ErrnoException).code !== 'EACCES') throw error;
      const unlock = (q: string) => {
        const st = lstatSync(q);
        if (!st.isDirectory()) return;
        chmodSync(q, (st.mode & 0o7777) | 0o700);
        for (const n of readdirSync(q)) unlock(join(q, n));
      };
      unlock(p);
      rmSync(p, { recursive: true, force: true });
    }
  }

  forgetDirs(rel: string): void {
    this.dirs.deleteTree(rel);
  }

  /**
   * Resolves the parent directory `parts` of entry `name` inside the root, following symlinks the way they resolve
   * inside the container (an absolute target starts again from the root, a relative one from the link's
   * directory). Returns the physical path relative to the root (every component a real directory), or undefined
   * when it does not exist and `create` is false. With `create`, missing directories are made and a non-directory
   * in the way is replaced by one. A resolution that would climb above the root, or more than 40 links, is refused.
   */
  resolveDir(parts: readonly string[], name: string, create: boolean): string | undefined {
    const key = parts.join('/');
    const known = this.#resolved.get(key);
    if (known !== undefined) return known;
    const resolved = this.#walk(parts, name, create);
    if (resolved !== undefined) this.#resolved.set(key, resolved);
    return resolved;
  }

  #walk(parts: readonly string[], name: string, create: boolean): string | undefined {
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
      const p = this.abs(rel);
      const st = lstatOrUndefined(p);
      if (st?.isDirectory()) {
        if (!this.privileged && (st.mode & 0o700) !== 0o700) this.touch(rel, st);
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
      this.touch(parentOf(rel));
      if (st !== undefined) this.removeTree(p);
      mkdirSync(p, { mode: 0o755 });
      this.markUpper(rel);
    }
    return stack.join('/');
  }

  /** Removes `rel` (or only its children, for an opaque whiteout) except what this layer put there. */
  hideLower(rel: string, keepSelf: boolean): void {
    const st = lstatOrUndefined(this.abs(rel));
    if (st === undefined) return;
    if (!keepSelf && !this.#upper.has(rel)) {
      this.touch(parentOf(rel));
      this.removeTree(this.abs(rel));
      this.forgetDirs(rel);
      return;
    }
    if (!st.isDirectory()) return;
    for (const child of readdirSync(this.abs(rel)))
      this.hideLower(rel === '' ? child : `${rel}/${child}`, false);
  }

  /**
   * Applies directory modes and times, deepest first: a parent's time is set after its children are done with, and
   * a parent opened up for its owner is closed again only after them. Every path is walked again without following
   * symlinks: a later entry may have replaced a directory (or a parent) with a link out.
   */
  finishDirectories(): void {
    const depths = new Map<string, number>();
    for (const rel of [...this.dirs.keys(), ...this.#touched.keys()])
      depths.set(rel, rel === '' ? 0 : rel.split('/').length);
    const order = [...depths.keys()].sort((a, b) => (depths.get(b) as number) - (depths.get(a) as number));
    // Modes and times change no file's type: a path found a real directory stays one for the rest of the pass.
    const real = new Map<string, boolean>();
    for (const rel of order) {
      if (!isRealDirectory(this.root, rel, real)) continue;
      const d = this.dirs.get(rel);
      if (d === undefined) {
        // A directory this layer has no entry for keeps its mode and times from below.
        const t = this.#touched.get(rel) as { atime: Date; mtime: Date; mode: number };
        if (!this.privileged) chmodSync(this.abs(rel), t.mode);
        lutimesSync(this.abs(rel), t.atime, t.mtime);
        continue;
      }
      const fd = openSync(this.abs(rel), constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
      try {
        if (this.chown) fchownSync(fd, d.uid, d.gid);
        fchmodSync(fd, d.mode);
        futimesSync(fd, d.mtime, d.mtime);
      } finally {
        closeSync(fd);
      }
    }
  }
}

/**
 * Whether every component of `rel` under `root` is a directory (no symlink anywhere on the way); `seen` keeps the
 * answers for the paths on the way.
 */
function isRealDirectory(root: string, rel: string, seen: Map<string, boolean>): boolean {
  const known = seen.get(rel);
  if (known !== undefined) return known;
  const cut = rel.lastIndexOf('/');
  const real =
    (rel === '' || cut < 0 || isRealDirectory(root, rel.slice(0, cut), seen)) &&
    lstatOrUndefined(rel === '' ? root : join(root, rel))?.isDirectory() === true;
  seen.set(rel, real);
  return real;
}
