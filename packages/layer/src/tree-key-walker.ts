import type * as Crypto from 'node:crypto';
import type * as Fs from 'node:fs';

export interface KeyWriter {
  /** One entry: its path and link target as text, its eleven numbers as raw doubles. */
  add(path: string, abs: string, st: Fs.Stats): void;
  /** Bytes appended as they are (a unit's digest). */
  raw(bytes: Uint8Array): void;
  digest(): Buffer;
}

export interface KeyWalker {
  /** The key's writer, after its header. */
  writer(header: string): KeyWriter;
  /** A unit's writer: smaller batches, as one is made per unit (the batch size is part of the bytes hashed). */
  unitWriter(): KeyWriter;
  /** Sorts names in place in Go's byte order of their UTF-8. */
  sortNames(names: string[]): string[];
  /** Whether an exclude pattern matches this path (relative to the root). */
  excluded(path: string): boolean;
  /** The digest of everything under a directory (not the directory itself), depth first, names in byte order. */
  walkUnit(rel: string, abs: string): Buffer;
}

/**
 * The key's record writer and the walk of one subtree. Self-contained on purpose: a worker runs this function's own
 * source (`Function.prototype.toString`), so it may use only its parameters and JavaScript's globals.
 *
 * Per entry the key takes its path and link target as text and its eleven numbers (mode, owner, size, mtime and
 * ctime, inode, device, link count, rdev) as raw doubles, so no number is ever formatted: that formatting was a
 * third of a warm rebuild. Plain (not bigint) stat: twice as fast, and its millisecond doubles keep sub-microsecond
 * differences, finer than the kernel clock ticks that file times come from.
 */
export function makeKeyWalker(
  fs: typeof Fs,
  crypto: typeof Crypto,
  excludeSources: readonly string[],
): KeyWalker {
  const excludes = excludeSources.map((s) => new RegExp(s));
  const excluded = (path: string) => excludes.some((re) => re.test(path));
  // Code units from U+D800 up (surrogates and the BMP's last block) are where UTF-16 order and UTF-8 byte order part.
  const beyondSurrogates = /[\uD800-\uFFFF]/;
  const byUtf8 = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
  const sortNames = (names: string[]) =>
    names.some((n) => beyondSurrogates.test(n)) ? names.sort(byUtf8) : names.sort();

  const writer = (header: string, batch = 4096): KeyWriter => {
    const hash = crypto.createHash('sha256');
    let text = header;
    const numbers = new Float64Array(11 * batch);
    let n = 0;
    const flush = () => {
      hash.update(text);
      hash.update(new Uint8Array(numbers.buffer, 0, n * 8));
      text = '';
      n = 0;
    };
    return {
      add(path, abs, st) {
        const link = (st.mode & 0o170000) === 0o120000 ? fs.readlinkSync(abs) : '';
        // Neither a name nor a link target can hold a NUL: ending both with one keeps the text unambiguous.
        text += `${path}\0${link}\0`;
        numbers[n++] = st.mode;
        numbers[n++] = st.uid;
        numbers[n++] = st.gid;
        numbers[n++] = st.size;
        numbers[n++] = st.mtimeMs;
        numbers[n++] = st.ctimeMs;
        numbers[n++] = st.ino;
        numbers[n++] = st.dev;
        numbers[n++] = st.nlink;
        numbers[n++] = st.rdev;
        numbers[n++] = 0;
        if (n === numbers.length) flush();
      },
      raw(bytes) {
        flush();
        hash.update(bytes);
      },
      digest() {
        flush();
        return hash.digest();
      },
    };
  };

  const unitWriter = () => writer('', 256);

  const walkUnit = (rel: string, abs: string): Buffer => {
    const key = unitWriter();
    const visit = (r0: string, a0: string): void => {
      for (const name of sortNames(fs.readdirSync(a0))) {
        const r = `${r0}/${name}`;
        if (excluded(r)) continue;
        const a = `${a0}/${name}`;
        const st = fs.lstatSync(a);
        key.add(r, a, st);
        if ((st.mode & 0o170000) === 0o040000) visit(r, a);
      }
    };
    visit(rel, abs);
    return key.digest();
  };

  return { writer, unitWriter, sortNames, excluded, walkUnit };
}
