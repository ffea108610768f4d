import { closeSync, lstatSync, openSync, readSync } from 'node:fs';
import { InvalidInputError } from '@lading/digest';
import {
  encodeTarHeader,
  type TarEntryType,
  type TarHeader,
  tarEnd,
  tarPadding,
  writeUstarHeader,
} from './tar-header.js';
import type { TreeEntry } from './tree-entry.js';

export interface TarOptions {
  /** SOURCE_DATE_EPOCH semantics: mtimes later than this (seconds, or a Date) are clamped to it. */
  readonly epoch?: number | Date;
  /** Owner written for every entry instead of the file's. */
  readonly uid?: number;
  readonly gid?: number;
  /** Names written in the uname/gname fields (left empty unless given, so layers do not depend on /etc/passwd). */
  readonly uname?: string;
  readonly gname?: string;
  /** A directory inside the layer under which the tree is placed (`app` puts `x` at `app/x`). */
  readonly prefix?: string;
  readonly signal?: AbortSignal;
  /** Called after each entry with counts so far. */
  readonly onEntry?: (progress: { readonly entries: number; readonly bytes: number }) => void;
  /**
   * Sees every entry as it is listed for the tar, with its name in the layer: a way to learn about the tree (an
   * SBOM's package files) in the walk that builds the layer, without a second one. It must not throw.
   */
  readonly observe?: (name: string, entry: TreeEntry) => void;
}

/** One entry to write: a header, and where its content comes from (a path on disk) when it has any. */
export interface TarItem {
  readonly header: TarHeader;
  readonly source?: string;
}

const chunkSize = 1 << 20;

/**
 * The exact length of the stream `writeTar` makes of `items`: every header (PAX records included) with content and
 * padding, then the end blocks. A file that shrinks while it is read fails the stream (`FILE_CHANGED`) and one that
 * grows is read to its listed size, so the length holds for whatever is actually written.
 */
export function tarStreamSize(items: Iterable<TarItem>): number {
  const scratch = Buffer.allocUnsafe(512);
  let total = tarEnd.length;
  for (const it of items) {
    total += writeUstarHeader(scratch, 0, it.header) ? 512 : encodeTarHeader(it.header).length;
    const size = it.source !== undefined ? it.header.size : 0;
    total += size + tarPadding(size);
  }
  return total;
}

export function epochSeconds(epoch: number | Date | undefined): number | undefined {
  if (epoch === undefined) return undefined;
  const s = epoch instanceof Date ? Math.floor(epoch.getTime() / 1000) : Math.floor(epoch);
  if (!Number.isFinite(s) || s < 0) {
    throw new InvalidInputError('BAD_EPOCH', `epoch ${String(epoch)} is not a time; give seconds since 1970`);
  }
  return s;
}

/** Linux's encoding of major/minor in st_rdev (glibc's gnu_dev_major/minor). */
export function splitRdev(rdev: bigint): { devmajor: number; devminor: number } {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return { devmajor: Number(major & 0xffffffffn), devminor: Number(minor & 0xffffffffn) };
}

export function normalizePrefix(prefix: string | undefined): string {
  if (!prefix) return '';
  const parts = prefix.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) {
    throw new InvalidInputError(
      'BAD_PREFIX',
      `layer path prefix ${prefix} climbs out with '..'; give a plain path`,
    );
  }
  return parts.join('/');
}

/**
 * Turns listed tree entries into tar items: headers in the entries' order, hardlinks (same device and inode) as
 * `link` entries to the first path, sockets skipped, owners and times as the options say.
 */
export function* tarItemsFromEntries(
  entries: Iterable<TreeEntry>,
  root: string,
  options: TarOptions = {},
): Generator<TarItem> {
  const epoch = epochSeconds(options.epoch);
  const prefix = normalizePrefix(options.prefix);
  const uid = options.uid;
  const gid = options.gid;
  const uname = options.uname;
  const gname = options.gname;
  const time = (ns: bigint) => {
    const s = Number(ns / 1_000_000_000n);
    return epoch !== undefined && s > epoch ? epoch : s;
  };
  // One plain object per entry, with the optional fields only when given (the encoder checks for presence).
  const header = (
    name: string,
    type: TarEntryType,
    mode: number,
    ownerUid: number,
    ownerGid: number,
    mtime: number,
    size: number,
  ): TarHeader => {
    const h: {
      name: string;
      type: TarEntryType;
      mode: number;
      uid: number;
      gid: number;
      size: number;
      mtime: number;
      uname?: string;
      gname?: string;
    } = { name, type, mode, uid: uid ?? ownerUid, gid: gid ?? ownerGid, size, mtime };
    if (uname !== undefined) h.uname = uname;
    if (gname !== undefined) h.gname = gname;
    return h;
  };
  if (prefix) {
    const st = lstatSync(root, { bigint: true });
    const parts = prefix.split('/');
    for (let i = 1; i <= parts.length; i++) {
      yield {
        header: header(
          `${parts.slice(0, i).join('/')}/`,
          'directory',
          Number(st.mode) & 0o7777,
          Number(st.uid),
          Number(st.gid),
          time(st.mtimeNs),
          0,
        ),
      };
    }
  }
  const at = prefix ? `${prefix}/` : '';
  const seen = new Map<string, string>();
  const observe = options.observe;
  for (const e of entries) {
    if (e.type === 'socket') continue;
    const name = at + e.path;
    observe?.(name, e);
    const mode = e.mode & 0o7777;
    const mtime = time(e.mtimeNs);
    switch (e.type) {
      case 'directory':
        yield { header: header(`${name}/`, 'directory', mode, e.uid, e.gid, mtime, 0) };
        break;
      case 'symlink':
        yield {
          header: { ...header(name, 'symlink', mode, e.uid, e.gid, mtime, 0), linkname: e.linkTarget ?? '' },
        };
        break;
      case 'character-device':
      case 'block-device':
        yield { header: { ...header(name, e.type, mode, e.uid, e.gid, mtime, 0), ...splitRdev(e.rdev) } };
        break;
      case 'fifo':
        yield { header: header(name, 'fifo', mode, e.uid, e.gid, mtime, 0) };
        break;
      default: {
        if (e.nlink > 1) {
          const key = `${e.dev}:${e.ino}`;
          const first = seen.get(key);
          if (first !== undefined) {
            yield { header: { ...header(name, 'link', mode, e.uid, e.gid, mtime, 0), linkname: first } };
            break;
          }
          seen.set(key, name);
        }
        yield { header: header(name, 'file', mode, e.uid, e.gid, mtime, e.size), source: e.abs };
      }
    }
  }
}

/**
 * Writes tar items as a byte stream of 1 MiB chunks. Headers and file contents are read straight into the chunk
 * being filled (one copy: the kernel's), with plain synchronous reads: on a cached tree they are several times
 * faster than thread-pool round trips, and the event loop still turns at every chunk, so compressor workers and
 * store writes keep going. The stream is pulled: nothing is read faster than it is consumed.
 */
export async function* writeTar(
  items: Iterable<TarItem>,
  options: Pick<TarOptions, 'signal' | 'onEntry'> & {
    /**
     * Reuse a chunk's memory once this many later chunks have been pulled. Only for consumers that are done with
     * a chunk by then (the layer writer is: it copies or writes each chunk before pulling the next two).
     */
    readonly reuseAfter?: number;
  } = {},
): AsyncGenerator<Uint8Array> {
  const given: Buffer[] = [];
  const reuseAfter = options.reuseAfter;
  const alloc = () =>
    reuseAfter !== undefined && given.length > reuseAfter
      ? (given.shift() as Buffer)
      : Buffer.allocUnsafe(chunkSize);
  const give = (b: Buffer) => {
    if (reuseAfter !== undefined) given.push(b);
    return b;
  };
  let cur = alloc();
  let pos = 0;
  let total = 0;
  let count = 0;
  const full: Buffer[] = [];
  const advance = () => {
    if (pos === chunkSize) {
      full.push(cur);
      cur = alloc();
      pos = 0;
    }
  };
  const put = (bytes: Uint8Array) => {
    let off = 0;
    while (off < bytes.length) {
      const n = Math.min(bytes.length - off, chunkSize - pos);
      cur.set(bytes.subarray(off, off + n), pos);
      pos += n;
      off += n;
      advance();
    }
  };
  const zeros = (n: number) => {
    while (n > 0) {
      const k = Math.min(n, chunkSize - pos);
      cur.fill(0, pos, pos + k);
      pos += k;
      n -= k;
      advance();
    }
  };
  for (const it of items) {
    options.signal?.throwIfAborted();
    // Everything written is a multiple of 512 bytes, so a header block always fits in the chunk's rest.
    if (writeUstarHeader(cur, pos, it.header)) {
      pos += 512;
      advance();
    } else put(encodeTarHeader(it.header));
    const size = it.header.size;
    if (it.source !== undefined && size > 0) {
      const fd = openSync(it.source, 'r');
      try {
        let done = 0;
        while (done < size) {
          const want = Math.min(size - done, chunkSize - pos);
          const got = readSync(fd, cur, pos, want, done);
          if (got === 0) {
            throw new InvalidInputError(
              'FILE_CHANGED',
              `${it.source} became shorter while it was read; rebuild the layer once the tree is quiet`,
            );
          }
          pos += got;
          done += got;
          advance();
          while (full.length > 0) {
            yield give(full.shift() as Buffer);
            options.signal?.throwIfAborted();
          }
        }
      } finally {
        closeSync(fd);
      }
      zeros(tarPadding(size));
    }
    total += size;
    count++;
    options.onEntry?.({ entries: count, bytes: total });
    while (full.length > 0) yield give(full.shift() as Buffer);
  }
  put(tarEnd);
  while (full.length > 0) yield give(full.shift() as Buffer);
  if (pos > 0) yield cur.subarray(0, pos);
}
