// A directory tree with every entry kind a layer must carry, and a comparison of two trees, for layer tests.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

/** Fixed times (seconds) so trees compare whatever the clock. */
export const fixtureTime = 1_700_000_000;

/**
 * Fills `dir` with: regular files (empty, small, 3 MiB), nested and empty directories, relative and absolute and
 * dangling symlinks, a hardlink pair, setuid/setgid/sticky modes, a 0555 directory, a name over 100 bytes and a path
 * over 256 bytes, unicode names, and a FIFO (when `mkfifo` exists). Every mtime is `fixtureTime` (+ index).
 */
export function makeTreeFixture(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const w = (p: string, data: string | Uint8Array, mode = 0o644) => {
    writeFileSync(join(dir, p), data);
    chmodSync(join(dir, p), mode);
  };
  mkdirSync(join(dir, 'bin'));
  mkdirSync(join(dir, 'etc/deep/er'), { recursive: true });
  mkdirSync(join(dir, 'empty'));
  mkdirSync(join(dir, 'tmp'));
  chmodSync(join(dir, 'tmp'), 0o1777);
  w('empty-file', '');
  w('etc/hello.txt', 'hello world\n');
  w('etc/deep/er/data.bin', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7) & 255)));
  const big = Buffer.alloc(3 * 1024 * 1024 + 17);
  for (let i = 0; i < big.length; i += 997) big[i] = i & 255;
  w('bin/big.bin', big, 0o755);
  w('bin/suid', '#!/bin/sh\n', 0o4755);
  w('bin/sgid', '#!/bin/sh\n', 0o2755);
  symlinkSync('../etc/hello.txt', join(dir, 'bin/rel-link'));
  symlinkSync('/etc/hello.txt', join(dir, 'abs-link'));
  symlinkSync('does/not/exist', join(dir, 'dangling'));
  w('etc/hard-a', 'same inode\n');
  linkSync(join(dir, 'etc/hard-a'), join(dir, 'etc/hard-b'));
  const longName = `${'n'.repeat(120)}.txt`;
  w(longName, 'long name\n');
  const longDir = join(...Array.from({ length: 6 }, (_, i) => `${String(i).repeat(50)}`));
  mkdirSync(join(dir, longDir), { recursive: true });
  w(join(longDir, 'leaf.txt'), 'long path\n');
  w('ünïcødé-文件.txt', 'unicode\n');
  mkdirSync(join(dir, 'ro'));
  w('ro/inside', 'read only dir\n');
  try {
    execFileSync('mkfifo', [join(dir, 'fifo')]);
  } catch {}
  // Times last, deepest first, so creating children does not move their parents' mtimes.
  const all: string[] = [];
  const walk = (rel: string) => {
    for (const n of readdirSync(join(dir, rel)).sort()) {
      const r = rel ? join(rel, n) : n;
      all.push(r);
      if (lstatSync(join(dir, r)).isDirectory()) walk(r);
    }
  };
  walk('');
  all.sort((a, b) => b.length - a.length);
  all.forEach((r, i) => {
    const t = fixtureTime + i;
    const p = join(dir, r);
    if (lstatSync(p).isSymbolicLink()) lutimesSync(p, t, t);
    else utimesSync(p, t, t);
  });
  chmodSync(join(dir, 'ro'), 0o555);
}

export interface TreeSnapshotEntry {
  readonly type: string;
  readonly mode: number;
  readonly mtime: number;
  readonly size: number;
  readonly content?: string;
  readonly link?: string;
  /** Paths sharing this entry's inode (hardlinks), including itself, sorted. */
  readonly hardlinks?: readonly string[];
}

/** Everything a layer round trip must keep, per path: type, permission bits, mtime (seconds), contents, links. */
export function snapshotTree(dir: string): Record<string, TreeSnapshotEntry> {
  const out: Record<string, TreeSnapshotEntry> = {};
  const inodes = new Map<number, string[]>();
  const walk = (rel: string) => {
    for (const n of readdirSync(join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${n}` : n;
      const p = join(dir, r);
      const st = lstatSync(p);
      const type = st.isDirectory()
        ? 'dir'
        : st.isSymbolicLink()
          ? 'symlink'
          : st.isFIFO()
            ? 'fifo'
            : st.isFile()
              ? 'file'
              : 'other';
      const e: TreeSnapshotEntry = {
        type,
        mode: st.mode & 0o7777,
        mtime: Math.floor(st.mtimeMs / 1000),
        size: type === 'file' ? st.size : 0,
        ...(type === 'file' ? { content: readFileSync(p).toString('base64') } : {}),
        ...(type === 'symlink' ? { link: readlinkSync(p) } : {}),
      };
      out[r] = e;
      if (type === 'file' && st.nlink > 1) {
        const list = inodes.get(st.ino) ?? [];
        list.push(r);
        inodes.set(st.ino, list);
      }
      if (type === 'dir') walk(r);
    }
  };
  walk('');
  for (const list of inodes.values()) {
    for (const r of list) out[r] = { ...(out[r] as TreeSnapshotEntry), hardlinks: [...list].sort() };
  }
  return out;
}

/**
 * Every path of a tree with its type, permission bits and content (files, base64) or target (symlinks), without
 * times or owners: what two unpackers of the same image must agree on whoever wrote the image.
 */
export function treeContents(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const p = join(root, r);
      const st = lstatSync(p);
      if (st.isDirectory()) {
        out[r] = `dir ${(st.mode & 0o7777).toString(8)}`;
        walk(r);
      } else if (st.isSymbolicLink()) out[r] = `link ${readlinkSync(p)}`;
      else out[r] = `file ${(st.mode & 0o7777).toString(8)} ${readFileSync(p).toString('base64')}`;
    }
  };
  walk('');
  return out;
}

/**
 * Sets every entry's mtime (and atime) to `timeFor(path, index)`, deepest entries first so that a directory's time
 * is set after its children are touched; `index` counts entries in that order. Symlinks keep their own times.
 */
export function pinTreeTimes(root: string, timeFor: (rel: string, index: number) => number): void {
  const all: string[] = [];
  const walk = (rel: string) => {
    for (const n of readdirSync(join(root, rel)).sort()) {
      const r = rel ? `${rel}/${n}` : n;
      all.push(r);
      if (lstatSync(join(root, r)).isDirectory()) walk(r);
    }
  };
  walk('');
  all.sort((a, b) => b.split('/').length - a.split('/').length);
  all.forEach((r, i) => {
    const t = timeFor(r, i);
    if (lstatSync(join(root, r)).isSymbolicLink()) lutimesSync(join(root, r), t, t);
    else utimesSync(join(root, r), t, t);
  });
}
