import { lstatSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { Digester } from '@lading/digest';
import { compileGlobs } from './glob.js';
import { checkTreeRoot, compareNames, typeOf, type WalkOptions, walkEntries } from './tree-entry.js';

const walkKeyVersion = 'lading-layer-cache-walk-v2';

// Code units from U+D800 up (surrogates and the BMP's last block) are where UTF-16 order and UTF-8 byte order part.
const beyondSurrogates = /[\uD800-\uFFFF]/;

function sortNames(names: string[]): string[] {
  if (!names.some((n) => beyondSurrogates.test(n))) return names.sort();
  return names.sort(compareNames);
}

function keyLine(path: string, abs: string, st: Stats): string {
  // Plain (not bigint) stat: twice as fast, and its millisecond doubles keep sub-microsecond differences, finer
  // than the kernel clock ticks that file times come from.
  const link = (st.mode & 0o170000) === 0o120000 ? readlinkSync(abs) : '';
  return `${path}\0${st.mode}\0${st.uid}\0${st.gid}\0${st.size}\0${st.mtimeMs}\0${st.ctimeMs}\0${st.ino}\0${st.dev}\0${st.nlink}\0${st.rdev}\0${link}\n`;
}

/**
 * The cache key of a tree straight from the file system, cheaper than listing `TreeEntry`s for `treeCacheKey`:
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
  const d = new Digester('sha256');
  let batch = `${walkKeyVersion}\n${JSON.stringify(settings, Object.keys(settings).sort())}\n`;
  const add = (line: string) => {
    batch += line;
    if (batch.length > 1 << 16) {
      d.update(Buffer.from(batch));
      batch = '';
    }
  };
  if ((walk.include?.length ?? 0) > 0) {
    // Directories leading to included paths are kept only if something under them is: the general walk.
    const lineOf = (path: string, abs: string) => {
      const st = lstatSync(abs);
      return { path, type: typeOf(st.mode), line: keyLine(path, abs, st) };
    };
    for (const e of walkEntries(root, walk, lineOf)) add(e.line);
  } else {
    // The same order and selection as `walkEntries` without include patterns, without an object per entry.
    const excluded = compileGlobs(walk.exclude ?? []);
    const visit = (rel: string, abs: string): void => {
      for (const name of sortNames(readdirSync(abs))) {
        const r = rel ? `${rel}/${name}` : name;
        if (excluded(r)) continue;
        const a = rel ? `${abs}/${name}` : join(abs, name);
        const st = lstatSync(a);
        add(keyLine(r, a, st));
        if ((st.mode & 0o170000) === 0o040000) visit(r, a);
      }
    };
    visit('', root);
  }
  d.update(Buffer.from(batch));
  return d.digest().slice('sha256:'.length);
}
