import { lstatSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { compareUtf8, Digester } from '@lading/digest';
import { compileGlobs } from './glob.js';
import { checkTreeRoot, typeOf, type WalkOptions, walkEntries } from './tree-entry.js';

const walkKeyVersion = 'lading-layer-cache-walk-v3';

// Code units from U+D800 up (surrogates and the BMP's last block) are where UTF-16 order and UTF-8 byte order part.
const beyondSurrogates = /[\uD800-\uFFFF]/;

function sortNames(names: string[]): string[] {
  if (!names.some((n) => beyondSurrogates.test(n))) return names.sort();
  return names.sort(compareUtf8);
}

/**
 * The key's input: per entry, its path and link target as text and its eleven numbers (mode, owner, size, mtime and
 * ctime, inode, device, link count, rdev) as raw doubles, so no number is ever formatted: that formatting was a
 * third of a warm rebuild. Plain (not bigint) stat: twice as fast, and its millisecond doubles keep sub-microsecond
 * differences, finer than the kernel clock ticks that file times come from.
 */
class KeyWriter {
  readonly #digester = new Digester('sha256');
  #text = '';
  readonly #numbers = new Float64Array(11 * 4096);
  #n = 0;

  constructor(header: string) {
    this.#text = header;
  }

  add(path: string, abs: string, st: Stats): void {
    const link = (st.mode & 0o170000) === 0o120000 ? readlinkSync(abs) : '';
    // Neither a name nor a link target can hold a NUL: ending both with one keeps the text unambiguous.
    this.#text += `${path}\0${link}\0`;
    const v = this.#numbers;
    let n = this.#n;
    v[n++] = st.mode;
    v[n++] = st.uid;
    v[n++] = st.gid;
    v[n++] = st.size;
    v[n++] = st.mtimeMs;
    v[n++] = st.ctimeMs;
    v[n++] = st.ino;
    v[n++] = st.dev;
    v[n++] = st.nlink;
    v[n++] = st.rdev;
    v[n++] = 0;
    this.#n = n;
    if (n === v.length) this.#flush();
  }

  #flush(): void {
    this.#digester.update(Buffer.from(this.#text));
    this.#digester.update(new Uint8Array(this.#numbers.buffer, 0, this.#n * 8));
    this.#text = '';
    this.#n = 0;
  }

  digest(): string {
    this.#flush();
    return this.#digester.digest().slice('sha256:'.length);
  }
}

/**
 * The cache key of a tree straight from the file system, without listing `TreeEntry`s first:
 * the entries `walkTree` lists (same order, include/exclude) with their path, mode, owner, size, mtime and ctime,
 * inode, device, link count, rdev and link target, plus the settings that change the bytes. Contents are never
 * read, so a content write is seen through mtime/ctime. This walk is all a warm rebuild costs.
 */
export function treeMetadataKey(
  root: string,
  walk: WalkOptions,
  settings: Readonly<Record<string, unknown>>,
): string {
  checkTreeRoot(root);
  const key = new KeyWriter(`${walkKeyVersion}\n${JSON.stringify(settings, Object.keys(settings).sort())}\n`);
  if ((walk.include?.length ?? 0) > 0) {
    // Directories leading to included paths are kept only if something under them is: the general walk, which
    // may stat a directory it then leaves out, so an entry is added to the key only once it is listed.
    const statOf = (path: string, abs: string) => {
      const st = lstatSync(abs);
      return { path, abs, st, type: typeOf(st.mode) };
    };
    for (const e of walkEntries(root, walk, statOf)) key.add(e.path, e.abs, e.st);
  } else {
    // The same order and selection as `walkEntries` without include patterns, without an object per entry.
    const excluded = compileGlobs(walk.exclude ?? []);
    const visit = (rel: string, abs: string): void => {
      for (const name of sortNames(readdirSync(abs))) {
        const r = rel ? `${rel}/${name}` : name;
        if (excluded(r)) continue;
        const a = rel ? `${abs}/${name}` : join(abs, name);
        const st = lstatSync(a);
        key.add(r, a, st);
        if ((st.mode & 0o170000) === 0o040000) visit(r, a);
      }
    };
    visit('', root);
  }
  return key.digest();
}
