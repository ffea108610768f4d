import { InvalidInputError } from '@lading/digest';
import { Crc64 } from './crc64.js';
import { fileLine, segmentLine } from './tar-split-entry.js';

/**
 * tar-split's disassembler (vbatts/tar-split `tar/asm/disassemble.go` over its fork of Go's `archive/tar` with
 * `RawAccounting`), which moby's layer store runs over every layer it registers (`layer/layer_store.go` applyTar):
 * the tar stream is cut into raw segments (headers, PAX and GNU long-name records, padding, the end blocks) and file
 * entries (name, size, CRC-64 of the payload), so that `docker save` can put the exact tar back together from the
 * files in the driver's directory. Fed the bytes as they pass; it keeps at most one header block and one PAX record
 * set in memory. Segment boundaries are the ones Go's reader makes, so the lines match what dockerd writes.
 */

const block = 512;
/** PAX and GNU long-name records larger than this are refused (Go's reader caps PAX records at 1 MiB too). */
const maxMetaSize = 1 << 20;
/** Trailing bytes after the end-of-archive blocks are kept in segments of at most this (tar-split's chunk). */
const paddingChunk = 1 << 20;

/** Typeflags of entries that have no data section whatever their size field says (Go's isHeaderOnlyType). */
const headerOnly = new Set(['1', '2', '3', '4', '5', '6']);

const textDecoder = new TextDecoder('latin1');

function bad(what: string): InvalidInputError {
  return new InvalidInputError('BAD_TAR', `the layer is not a valid tar archive: ${what}`);
}

/** Go's parser.parseString: the bytes up to the first NUL. */
function cString(b: Uint8Array): Uint8Array {
  const nul = b.indexOf(0);
  return nul < 0 ? b : b.subarray(0, nul);
}

/** Go's parseOctal: leading and trailing spaces and NULs trimmed, then octal digits; undefined when invalid. */
function parseOctal(b: Uint8Array): number | undefined {
  let s = 0;
  let e = b.length;
  while (s < e && (b[s] === 0x20 || b[s] === 0)) s++;
  while (e > s && (b[e - 1] === 0x20 || b[e - 1] === 0)) e--;
  if (s === e) return 0;
  const digits = textDecoder.decode(cString(b.subarray(s, e)));
  if (!/^[0-7]+$/.test(digits) || digits.length > 21) return undefined;
  return Number.parseInt(digits, 8);
}

/** Go's parseNumeric: base-256 when the high bit is set (negative values are refused), else octal. */
function parseNumeric(b: Uint8Array): number | undefined {
  if (b.length > 0 && ((b[0] as number) & 0x80) !== 0) {
    if (((b[0] as number) & 0x40) !== 0) return undefined;
    let x = 0;
    for (let i = 0; i < b.length; i++) {
      const c = i === 0 ? (b[i] as number) & 0x7f : (b[i] as number);
      x = x * 256 + c;
      if (x > Number.MAX_SAFE_INTEGER) return undefined;
    }
    return x;
  }
  return parseOctal(b);
}

function isZeroBlock(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

function matches(b: Uint8Array, start: number, text: string): boolean {
  for (let i = 0; i < text.length; i++) if (b[start + i] !== text.charCodeAt(i)) return false;
  return true;
}

type Format = 'unknown' | 'v7' | 'ustar' | 'gnu' | 'star';

/** Go's block.GetFormat: the checksum (unsigned or signed sum) and then the magic. */
function formatOf(b: Uint8Array): Format {
  const value = parseOctal(b.subarray(148, 156));
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < block; i++) {
    const c = i >= 148 && i < 156 ? 0x20 : (b[i] as number);
    unsigned += c;
    signed += c > 127 ? c - 256 : c;
  }
  if (value === undefined || (value !== unsigned && value !== signed)) return 'unknown';
  if (matches(b, 257, 'ustar\0') && matches(b, 508, 'tar\0')) return 'star';
  if (matches(b, 257, 'ustar\0')) return 'ustar';
  if (matches(b, 257, 'ustar ') && matches(b, 263, ' \0')) return 'gnu';
  return 'v7';
}

function isAscii(b: Uint8Array): boolean {
  for (const c of b) if (c >= 0x80) return false;
  return true;
}

interface Header {
  readonly typeflag: string;
  readonly name: Uint8Array;
  readonly size: number;
}

/** Go's Reader.readHeader for a non-zero block: the fields tar-split needs, with Go's validation. */
function readHeader(b: Uint8Array): Header {
  const format = formatOf(b);
  if (format === 'unknown') throw bad('a header block has a bad checksum or no known format');
  const size = parseNumeric(b.subarray(124, 136));
  const numeric = [b.subarray(100, 108), b.subarray(108, 116), b.subarray(116, 124), b.subarray(136, 148)];
  if (format !== 'v7') numeric.push(b.subarray(329, 337), b.subarray(337, 345));
  if (size === undefined || numeric.some((f) => parseNumeric(f) === undefined))
    throw bad('a header has an unreadable numeric field');
  let name = cString(b.subarray(0, 100));
  let prefix: Uint8Array = new Uint8Array(0);
  if (format === 'ustar') prefix = cString(b.subarray(345, 500));
  else if (format === 'star') prefix = cString(b.subarray(345, 476));
  else if (format === 'gnu') {
    // Files written by Go before 1.8 put a USTAR prefix where GNU keeps atime and ctime; Go reads the prefix when
    // those fields do not parse as numbers.
    const atime = b.subarray(345, 357);
    const ctime = b.subarray(357, 369);
    const broken =
      ((atime[0] as number) !== 0 && parseNumeric(atime) === undefined) ||
      ((ctime[0] as number) !== 0 && parseNumeric(ctime) === undefined);
    if (broken) {
      const p = cString(b.subarray(345, 500));
      if (isAscii(p)) prefix = p;
    }
  }
  if (prefix.length > 0) name = Buffer.concat([prefix, Buffer.from('/'), name]);
  return { typeflag: String.fromCharCode(b[156] as number), name, size };
}

/** Go's parsePAX over one record set; GNU sparse records are refused (lading does not unpack sparse files). */
function parsePax(data: Uint8Array): Map<string, Uint8Array> {
  const records = new Map<string, Uint8Array>();
  let s = 0;
  while (s < data.length) {
    const sp = data.indexOf(0x20, s);
    if (sp < 0) throw bad('a PAX record has no length');
    const lenText = textDecoder.decode(data.subarray(s, sp));
    if (!/^[0-9]+$/.test(lenText)) throw bad('a PAX record has a bad length');
    const n = Number(lenText);
    if (n < 5 || s + n > data.length || sp + 1 > s + n - 1 || data[s + n - 1] !== 0x0a)
      throw bad('a PAX record is malformed');
    const rec = data.subarray(sp + 1, s + n - 1);
    const eq = rec.indexOf(0x3d);
    if (eq <= 0) throw bad('a PAX record has no key');
    const key = textDecoder.decode(rec.subarray(0, eq));
    const value = rec.subarray(eq + 1);
    const pathLike = key === 'path' || key === 'linkpath' || key === 'uname' || key === 'gname';
    if ((pathLike ? value : rec.subarray(0, eq)).includes(0)) throw bad('a PAX record holds a NUL');
    if (key.startsWith('GNU.sparse.'))
      throw new InvalidInputError(
        'UNSUPPORTED_TAR_ENTRY',
        'the layer holds a GNU sparse file, which lading does not unpack; rebuild the layer without --sparse',
      );
    records.set(key, value);
    s += n;
  }
  return records;
}

/** A path from the tar that moby would open under the driver's directory: refused when it could leave it. */
function checkName(name: Uint8Array): void {
  const text = Buffer.from(name).toString('latin1');
  if (text.startsWith('/') || text.split('/').includes('..'))
    throw new InvalidInputError(
      'UNSAFE_TAR_ENTRY',
      `refusing tar entry ${JSON.stringify(Buffer.from(name).toString('utf8'))}: its name leaves the layer's root; the layer is not safe to unpack`,
    );
}

type State =
  | { readonly kind: 'header' }
  | {
      readonly kind: 'meta';
      readonly header: Header;
      readonly parts: Uint8Array[];
      have: number;
    }
  | {
      readonly kind: 'payload';
      readonly name: Uint8Array;
      readonly size: number;
      left: number;
      readonly crc: Crc64;
    }
  | { readonly kind: 'pad'; left: number; readonly total: number }
  | { readonly kind: 'trailer' };

/**
 * Cuts a tar stream into tar-split entries. `write` every chunk of the uncompressed layer in order, then `end()`;
 * each JSON line is handed to `onLine` as soon as it is known. `size` is the sum of the entries' sizes (what moby's
 * naive-diff drivers, vfs among them, record as the layer's size).
 */
export class TarSplitter {
  readonly #onLine: (line: string) => void;
  #state: State = { kind: 'header' };
  /** Raw bytes since the last segment. */
  #raw: Uint8Array[] = [];
  #rawSize = 0;
  /** The header block being filled. */
  readonly #block = new Uint8Array(block);
  #blockFill = 0;
  #zeroBlocks = 0;
  #position = 0;
  #pax: Map<string, Uint8Array> | undefined;
  #longName: Uint8Array | undefined;
  #size = 0;
  #ended = false;

  constructor(onLine: (line: string) => void) {
    this.#onLine = onLine;
  }

  get size(): number {
    return this.#size;
  }

  write(chunk: Uint8Array): void {
    let off = 0;
    while (off < chunk.length) {
      const state = this.#state;
      switch (state.kind) {
        case 'header': {
          const take = Math.min(block - this.#blockFill, chunk.length - off);
          this.#block.set(chunk.subarray(off, off + take), this.#blockFill);
          this.#blockFill += take;
          off += take;
          if (this.#blockFill === block) {
            this.#blockFill = 0;
            this.#keep(this.#block.slice());
            this.#onHeaderBlock();
          }
          break;
        }
        case 'meta': {
          const take = Math.min(state.header.size - state.have, chunk.length - off);
          const part = chunk.slice(off, off + take);
          state.parts.push(part);
          state.have += take;
          this.#keep(part);
          off += take;
          if (state.have === state.header.size) this.#onMeta(state.header, Buffer.concat(state.parts));
          break;
        }
        case 'payload': {
          const take = Math.min(state.left, chunk.length - off);
          state.crc.update(chunk.subarray(off, off + take));
          state.left -= take;
          off += take;
          if (state.left === 0) this.#endPayload(state.name, state.size, state.crc.sum());
          break;
        }
        case 'pad': {
          const take = Math.min(state.left, chunk.length - off);
          this.#keep(chunk.slice(off, off + take));
          state.left -= take;
          off += take;
          if (state.left === 0) this.#state = { kind: 'header' };
          break;
        }
        case 'trailer': {
          // Bytes after the end blocks: kept in segments of at most 1 MiB, as tar-split reads them.
          let rest = chunk.subarray(off);
          off = chunk.length;
          while (rest.length > 0) {
            const room = paddingChunk - this.#rawSize;
            this.#keep(rest.slice(0, room));
            rest = rest.subarray(room);
            if (this.#rawSize === paddingChunk) this.#flushSegment();
          }
          break;
        }
      }
    }
  }

  /** Checks the stream ended where a tar may end and writes the last segments. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    const state = this.#state;
    const cleanEnd =
      (state.kind === 'header' && this.#blockFill === 0) ||
      state.kind === 'trailer' ||
      (state.kind === 'pad' && state.left === state.total);
    if (!cleanEnd) throw bad('it ends in the middle of an entry (truncated)');
    if (state.kind !== 'trailer' && (this.#pax !== undefined || this.#longName !== undefined))
      throw bad('it ends after a PAX or GNU long-name header with no entry');
    // Go's reader stops at EOF on a block boundary (with or without the end blocks); tar-split then reads the rest
    // of the stream, and its last read, at EOF, adds an empty segment.
    this.#flushSegment();
    this.#onLine(segmentLine(new Uint8Array(0), this.#position++));
  }

  #keep(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#raw.push(bytes);
    this.#rawSize += bytes.length;
  }

  #flushSegment(): void {
    if (this.#rawSize === 0) return;
    const payload = this.#raw.length === 1 ? (this.#raw[0] as Uint8Array) : Buffer.concat(this.#raw);
    this.#raw = [];
    this.#rawSize = 0;
    this.#onLine(segmentLine(payload, this.#position++));
  }

  #onHeaderBlock(): void {
    if (isZeroBlock(this.#block)) {
      this.#zeroBlocks++;
      if (this.#zeroBlocks === 2) {
        if (this.#pax !== undefined || this.#longName !== undefined)
          throw bad('it ends after a PAX or GNU long-name header with no entry');
        this.#flushSegment();
        this.#state = { kind: 'trailer' };
      }
      return;
    }
    if (this.#zeroBlocks > 0) throw bad('a zero block is followed by a header');
    const h = readHeader(this.#block);
    switch (h.typeflag) {
      case 'x':
      case 'g':
      case 'L':
      case 'K':
        if (h.size > maxMetaSize)
          throw bad(`a PAX or GNU long-name record of ${h.size} bytes is larger than lading reads (1 MiB)`);
        if (h.size === 0) this.#onMeta(h, new Uint8Array(0));
        else this.#state = { kind: 'meta', header: h, parts: [], have: 0 };
        return;
      case 'S':
        throw new InvalidInputError(
          'UNSUPPORTED_TAR_ENTRY',
          'the layer holds a GNU sparse file, which lading does not unpack; rebuild the layer without --sparse',
        );
    }
    let name = h.name;
    let size = h.size;
    const pax = this.#pax;
    if (pax !== undefined) {
      // Records with an empty value keep the USTAR field (Go's mergePAX).
      const path = pax.get('path');
      if (path !== undefined && path.length > 0) name = path;
      const paxSize = pax.get('size');
      if (paxSize !== undefined && paxSize.length > 0) {
        const text = textDecoder.decode(paxSize);
        if (!/^[0-9]{1,16}$/.test(text)) throw bad('a PAX size record is not a number');
        size = Number(text);
      }
    }
    if (this.#longName !== undefined && this.#longName.length > 0) name = this.#longName;
    this.#pax = undefined;
    this.#longName = undefined;
    let typeflag = h.typeflag;
    // Legacy archives mark directories with a trailing slash on a regular file (Go's TypeRegA handling).
    if (typeflag === '\0') typeflag = name.at(-1) === 0x2f ? '5' : '0';
    checkName(name);
    const data = headerOnly.has(typeflag) ? 0 : size;
    this.#size += size;
    this.#flushSegment();
    if (size === 0) {
      this.#onLine(fileLine(name, 0, undefined, this.#position++));
      this.#state = { kind: 'header' };
    } else if (data === 0) {
      // A header-only type with a size: Go reads no data for it, and checksums nothing.
      this.#onLine(fileLine(name, size, new Crc64().sum(), this.#position++));
      this.#state = { kind: 'header' };
    } else {
      this.#state = { kind: 'payload', name, size, left: data, crc: new Crc64() };
    }
  }

  #onMeta(header: Header, data: Uint8Array): void {
    const padding = (block - (data.length % block)) % block;
    const typeflag = header.typeflag;
    if (typeflag === 'x') {
      this.#pax = parsePax(data);
    } else if (typeflag === 'g') {
      // A global header is an entry of its own for Go's reader: its name (or its path record), no size.
      const records = parsePax(data);
      const path = records.get('path');
      const name = path !== undefined && path.length > 0 ? path : header.name;
      this.#pax = undefined;
      this.#longName = undefined;
      this.#flushSegment();
      this.#onLine(fileLine(name, 0, undefined, this.#position++));
    } else if (typeflag === 'L') {
      this.#longName = cString(data);
    }
    // 'K' (a long link name) matters to the unpack only.
    this.#state = padding === 0 ? { kind: 'header' } : { kind: 'pad', left: padding, total: padding };
  }

  #endPayload(name: Uint8Array, size: number, checksum: Uint8Array): void {
    this.#onLine(fileLine(name, size, checksum, this.#position++));
    const padding = (block - (size % block)) % block;
    this.#state = padding === 0 ? { kind: 'header' } : { kind: 'pad', left: padding, total: padding };
  }
}
