/** One entry of a tar stream, as lading writes it (USTAR with PAX records where USTAR cannot say it). */
export type TarEntryType =
  | 'file'
  | 'link'
  | 'symlink'
  | 'character-device'
  | 'block-device'
  | 'directory'
  | 'fifo';

export interface TarHeader {
  /** Path inside the layer, `/`-separated, no leading `/` or `./`; directories end with `/`. */
  readonly name: string;
  readonly type: TarEntryType;
  /** Permission bits including setuid/setgid/sticky (07777). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Content bytes that follow (regular files only). */
  readonly size: number;
  /** Modification time in whole seconds since the epoch. */
  readonly mtime: number;
  readonly linkname?: string;
  readonly uname?: string;
  readonly gname?: string;
  readonly devmajor?: number;
  readonly devminor?: number;
  /** Extra PAX records (e.g. `SCHILY.xattr.user.x`), written in key order. */
  readonly pax?: Readonly<Record<string, string>>;
}

const typeFlag: Record<TarEntryType, number> = {
  file: 0x30,
  link: 0x31,
  symlink: 0x32,
  'character-device': 0x33,
  'block-device': 0x34,
  directory: 0x35,
  fifo: 0x36,
};

const ustarMagic = new Uint8Array([0x75, 0x73, 0x74, 0x61, 0x72, 0x00, 0x30, 0x30]); // "ustar\0" "00"
const maxOctal7 = 0o7777777;
const maxOctal11 = 0o77777777777;
const enc = new TextEncoder();

// biome-ignore lint/suspicious/noControlCharactersInRegex: checks for plain ASCII
const asciiRe = /^[\x01-\x7f]*$/;

function isAscii(s: string): boolean {
  return asciiRe.test(s);
}

function writeOctal(buf: Buffer, off: number, width: number, value: number): void {
  // width includes the trailing NUL, like Go's and GNU tar's formatOctal.
  buf.write(
    Math.trunc(value)
      .toString(8)
      .padStart(width - 1, '0'),
    off,
    width - 1,
    'latin1',
  );
  buf[off + width - 1] = 0;
}

function writeString(buf: Buffer, off: number, width: number, value: string): void {
  if (value.length > 0) buf.write(value, off, width, 'utf8');
}

/** Splits a name into USTAR prefix + name at a `/`, or undefined when it cannot fit. */
function splitUstarName(name: string): [string, string] | undefined {
  const len = Buffer.byteLength(name);
  if (len <= 100) return ['', name];
  if (len > 256) return undefined;
  // The prefix takes as much as it can (at most 155 bytes), the rest (at most 100) goes to name.
  let i = name.length - 1;
  if (name.endsWith('/')) i--;
  for (; i > 0; i--) {
    if (name[i] !== '/') continue;
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest.length > 0) {
      // Go and GNU pick the longest prefix that fits; scanning from the end finds the shortest rest first.
      if (Buffer.byteLength(rest) <= 100) return [prefix, rest];
    }
  }
  return undefined;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLen = Buffer.byteLength(body);
  let len = bodyLen + String(bodyLen).length;
  if (String(len).length + bodyLen !== len) len = String(len + 1).length + bodyLen;
  return `${len}${body}`;
}

function encodeBlock(
  h: Omit<TarHeader, 'name' | 'linkname'>,
  name: string,
  prefix: string,
  linkname: string,
  flag: number,
): Buffer {
  const buf = Buffer.alloc(512);
  writeString(buf, 0, 100, name);
  writeOctal(buf, 100, 8, h.mode & 0o7777);
  writeOctal(buf, 108, 8, Math.min(h.uid, maxOctal7));
  writeOctal(buf, 116, 8, Math.min(h.gid, maxOctal7));
  writeOctal(buf, 124, 12, Math.min(h.size, maxOctal11));
  writeOctal(buf, 136, 12, Math.min(Math.max(h.mtime, 0), maxOctal11));
  buf.fill(0x20, 148, 156);
  buf[156] = flag;
  writeString(buf, 157, 100, linkname);
  buf.set([0x75, 0x73, 0x74, 0x61, 0x72, 0x00, 0x30, 0x30], 257); // "ustar\0" "00"
  if (h.uname) writeString(buf, 265, 32, h.uname);
  if (h.gname) writeString(buf, 297, 32, h.gname);
  if (h.type === 'character-device' || h.type === 'block-device') {
    writeOctal(buf, 329, 8, h.devmajor ?? 0);
    writeOctal(buf, 337, 8, h.devminor ?? 0);
  }
  writeString(buf, 345, 155, prefix);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += buf[i] as number;
  writeOctal(buf, 148, 7, sum);
  buf[155] = 0x20;
  return buf;
}

function asciiFallback(s: string, maxBytes: number): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: replaces what USTAR fields cannot hold
  return s.replace(/[^\x01-\x7f]/g, '_').slice(0, maxBytes);
}

function isShortAscii(s: string, maxBytes: number): boolean {
  if (s.length > maxBytes) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0 || c > 0x7f) return false;
  }
  return true;
}

function isOctalFit(v: number | undefined, max: number): boolean {
  return v !== undefined && Number.isInteger(v) && v >= 0 && v <= max;
}

function putAscii(buf: Uint8Array, off: number, s: string): void {
  for (let i = 0; i < s.length; i++) buf[off + i] = s.charCodeAt(i);
}

/** Octal digits, zero-padded to `width - 1`, then a NUL (what `writeOctal` writes, without a string). */
function putOctal(buf: Uint8Array, off: number, width: number, v: number): void {
  buf[off + width - 1] = 0;
  for (let i = width - 2; i >= 0; i--) {
    buf[off + i] = 0x30 + (v % 8);
    v = Math.floor(v / 8);
  }
}

/**
 * Writes the single USTAR block of an entry that needs no PAX record and no name split (nearly every entry of a
 * real tree) straight into `buf` at `off`, the same bytes as `encodeTarHeader`, without allocating. Returns false,
 * writing nothing, when the entry needs the general encoder.
 */
export function writeUstarHeader(buf: Uint8Array, off: number, h: TarHeader): boolean {
  const linkname = h.linkname ?? '';
  const device = h.type === 'character-device' || h.type === 'block-device';
  const mtime = Math.max(h.mtime, 0);
  if (
    !isShortAscii(h.name, 100) ||
    !isShortAscii(linkname, 100) ||
    (h.uname !== undefined && !isShortAscii(h.uname, 32)) ||
    (h.gname !== undefined && !isShortAscii(h.gname, 32)) ||
    !isOctalFit(h.size, maxOctal11) ||
    !isOctalFit(h.uid, maxOctal7) ||
    !isOctalFit(h.gid, maxOctal7) ||
    !isOctalFit(mtime, maxOctal11) ||
    !Number.isInteger(h.mode) ||
    (device && (!isOctalFit(h.devmajor ?? 0, maxOctal7) || !isOctalFit(h.devminor ?? 0, maxOctal7))) ||
    (h.pax !== undefined && Object.keys(h.pax).length > 0)
  ) {
    return false;
  }
  buf.fill(0, off, off + 512);
  putAscii(buf, off, h.name);
  putOctal(buf, off + 100, 8, h.mode & 0o7777);
  putOctal(buf, off + 108, 8, h.uid);
  putOctal(buf, off + 116, 8, h.gid);
  putOctal(buf, off + 124, 12, h.size);
  putOctal(buf, off + 136, 12, mtime);
  buf.fill(0x20, off + 148, off + 156);
  buf[off + 156] = typeFlag[h.type];
  putAscii(buf, off + 157, linkname);
  buf.set(ustarMagic, off + 257);
  if (h.uname) putAscii(buf, off + 265, h.uname);
  if (h.gname) putAscii(buf, off + 297, h.gname);
  if (device) {
    putOctal(buf, off + 329, 8, h.devmajor ?? 0);
    putOctal(buf, off + 337, 8, h.devminor ?? 0);
  }
  let sum = 0;
  for (let i = off; i < off + 512; i++) sum += buf[i] as number;
  putOctal(buf, off + 148, 7, sum);
  buf[off + 155] = 0x20;
  return true;
}

/**
 * Encodes the header blocks of one entry: a PAX extended header first when a name, link target, size, id or time
 * does not fit USTAR (or is not ASCII, as Go's archive/tar decides), then the USTAR block. Content and padding are
 * the caller's.
 */
export function encodeTarHeader(h: TarHeader): Uint8Array {
  const fast = Buffer.allocUnsafe(512);
  if (writeUstarHeader(fast, 0, h)) return fast;
  const records: [string, string][] = [];
  let name = h.name;
  let prefix = '';
  const split = isAscii(h.name) ? splitUstarName(h.name) : undefined;
  if (split) [prefix, name] = split;
  else {
    records.push(['path', h.name]);
    name = asciiFallback(h.name, 100);
  }
  let linkname = h.linkname ?? '';
  if (linkname && (Buffer.byteLength(linkname) > 100 || !isAscii(linkname))) {
    records.push(['linkpath', linkname]);
    linkname = asciiFallback(linkname, 100);
  }
  if (h.size > maxOctal11) records.push(['size', String(h.size)]);
  if (h.uid > maxOctal7) records.push(['uid', String(h.uid)]);
  if (h.gid > maxOctal7) records.push(['gid', String(h.gid)]);
  if (h.mtime > maxOctal11) records.push(['mtime', String(h.mtime)]);
  if (h.uname && (Buffer.byteLength(h.uname) > 32 || !isAscii(h.uname))) records.push(['uname', h.uname]);
  if (h.gname && (Buffer.byteLength(h.gname) > 32 || !isAscii(h.gname))) records.push(['gname', h.gname]);
  if (h.pax) for (const k of Object.keys(h.pax).sort()) records.push([k, h.pax[k] as string]);
  const main = encodeBlock(h, name, prefix, linkname, typeFlag[h.type]);
  if (records.length === 0) return main;
  records.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const body = enc.encode(records.map(([k, v]) => paxRecord(k, v)).join(''));
  const base = h.name.replace(/\/$/, '').split('/').pop() ?? '';
  const dir = h.name.replace(/\/$/, '').split('/').slice(0, -1).join('/');
  const paxName = asciiFallback(`${dir ? `${dir}/` : ''}PaxHeaders.0/${base}`, 100);
  const paxHead = encodeBlock(
    { ...h, type: 'file', size: body.length, uname: '', gname: '' },
    paxName,
    '',
    '',
    0x78, // 'x'
  );
  const padded = Math.ceil(body.length / 512) * 512;
  const out = new Uint8Array(512 + padded + 512);
  out.set(paxHead, 0);
  out.set(body, 512);
  out.set(main, 512 + padded);
  return out;
}

/** Zero bytes that pad content of `size` bytes to the next 512-byte boundary. */
export function tarPadding(size: number): number {
  const r = size % 512;
  return r === 0 ? 0 : 512 - r;
}

/** The two zero blocks that end a tar stream. */
export const tarEnd: Uint8Array = new Uint8Array(1024);
