import { InvalidInputError } from '@lading/digest';

// The OpenPGP wire format the native signer needs (RFC 4880 / RFC 9580): ASCII armor, packet headers, MPIs and
// signature subpackets. Readers throw `NotNative` for what is well-formed OpenPGP but beyond this code, so the
// caller hands the key to openpgp.js instead.

/** Internal: the key is valid OpenPGP (or may be) but not one the native signer handles; openpgp.js takes it. */
export class NotNative extends Error {}

const notNative = (why: string): never => {
  throw new NotNative(why);
};

/** CRC-24's table: the polynomial's remainder of each byte, so a checksum costs one lookup per byte. */
const crcTable = (() => {
  const t = new Uint32Array(256);
  for (let b = 0; b < 256; b++) {
    let c = b << 16;
    for (let i = 0; i < 8; i++) {
      c <<= 1;
      if (c & 0x1000000) c ^= 0x1864cfb;
    }
    t[b] = c & 0xffffff;
  }
  return t;
})();

/** CRC-24 of the armor checksum line (RFC 4880 section 6.1; RFC 9580 section 6.1). */
export function crc24(data: Uint8Array): number {
  let crc = 0xb704ce;
  for (const byte of data) crc = ((crc << 8) ^ (crcTable[((crc >> 16) ^ byte) & 0xff] as number)) & 0xffffff;
  return crc;
}

/**
 * The binary content of an armored block of the given type (RFC 4880 section 6.2): header lines up to the blank
 * line, base64, and the `=XXXX` CRC-24 line. A checksum that does not match is `KEY_INVALID`, as RFC 4880 and gpg
 * have it; a block without one (RFC 9580 makes it optional) is read as it is.
 */
export function dearmor(text: string, type: string, what: string): Uint8Array {
  const begin = `-----BEGIN ${type}-----`;
  const start = text.indexOf(begin);
  const end = text.indexOf(`-----END ${type}-----`, start);
  if (start < 0 || end < 0) notNative('no complete armored block');
  if (text.indexOf(begin, start + begin.length) >= 0) notNative('several armored blocks');
  const lines = text
    .slice(start + begin.length, end)
    .split(/\r?\n/)
    .map((l) => l.trim());
  let i = 1; // lines[0] is what follows the BEGIN line on its own line: empty
  if (lines[0] !== '') notNative('text after the armor header line');
  while (i < lines.length && lines[i] !== '') {
    if (!/^[^:\s]+: /.test(lines[i] as string)) break; // no header lines and no blank line: body starts here
    i++;
  }
  if (lines[i] === '') i++;
  let body = '';
  let checksum: string | undefined;
  for (; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line === '') continue;
    if (line.startsWith('=')) {
      checksum = line.slice(1);
      break;
    }
    body += line;
  }
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0) {
    throw new InvalidInputError('KEY_INVALID', `${what}: the armor is not valid base64`);
  }
  const data = new Uint8Array(Buffer.from(body, 'base64'));
  if (checksum !== undefined) {
    const want = Buffer.from(checksum, 'base64');
    if (
      !/^[A-Za-z0-9+/]{4}$/.test(checksum) ||
      want.length !== 3 ||
      (((want[0] as number) << 16) | ((want[1] as number) << 8) | (want[2] as number)) !== crc24(data)
    ) {
      throw new InvalidInputError(
        'KEY_INVALID',
        `${what}: the armor checksum (CRC-24) does not match its content`,
      );
    }
  }
  return data;
}

export interface Packet {
  readonly tag: number;
  readonly body: Uint8Array;
}

/** Packets with old- and new-format headers (RFC 4880 section 4.2); partial or indeterminate lengths: not native. */
export function readPackets(data: Uint8Array): Packet[] {
  const packets: Packet[] = [];
  let at = 0;
  const byte = (i: number): number => (i < data.length ? (data[i] as number) : notNative('truncated packet'));
  while (at < data.length) {
    const head = byte(at++);
    if ((head & 0x80) === 0) notNative('not a packet header');
    let tag: number;
    let length: number;
    if (head & 0x40) {
      tag = head & 0x3f;
      const first = byte(at++);
      if (first < 192) length = first;
      else if (first < 224) length = ((first - 192) << 8) + byte(at++) + 192;
      else if (first === 255) {
        length = ((byte(at) << 24) | (byte(at + 1) << 16) | (byte(at + 2) << 8) | byte(at + 3)) >>> 0;
        at += 4;
      } else return notNative('partial body length');
    } else {
      tag = (head >> 2) & 0x0f;
      const type = head & 3;
      if (type === 3) notNative('indeterminate length');
      const n = 1 << type;
      length = 0;
      for (let k = 0; k < n; k++) length = length * 256 + byte(at + k);
      at += n;
    }
    if (at + length > data.length) notNative('truncated packet');
    packets.push({ tag, body: data.subarray(at, at + length) });
    at += length;
  }
  return packets;
}

/** A cursor over a packet body. */
export class Reader {
  at = 0;
  constructor(readonly data: Uint8Array) {}
  get left(): number {
    return this.data.length - this.at;
  }
  bytes(n: number): Uint8Array {
    if (n < 0 || this.at + n > this.data.length) notNative('truncated field');
    const out = this.data.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
  u8(): number {
    return this.bytes(1)[0] as number;
  }
  u16(): number {
    const b = this.bytes(2);
    return ((b[0] as number) << 8) | (b[1] as number);
  }
  u32(): number {
    const b = this.bytes(4);
    return (
      (((b[0] as number) << 24) | ((b[1] as number) << 16) | ((b[2] as number) << 8) | (b[3] as number)) >>> 0
    );
  }
  /** A multiprecision integer (RFC 4880 section 3.2): its magnitude, big-endian, as written. */
  mpi(): Uint8Array {
    return this.bytes((this.u16() + 7) >> 3);
  }
}

export interface Subpacket {
  readonly type: number;
  readonly critical: boolean;
  readonly data: Uint8Array;
}

/** Signature subpackets (RFC 4880 section 5.2.3.1). */
export function readSubpackets(data: Uint8Array): Subpacket[] {
  const r = new Reader(data);
  const out: Subpacket[] = [];
  while (r.left > 0) {
    const first = r.u8();
    let length: number;
    if (first < 192) length = first;
    else if (first < 255) length = ((first - 192) << 8) + r.u8() + 192;
    else length = r.u32();
    if (length < 1) notNative('empty subpacket');
    const type = r.u8();
    out.push({ type: type & 0x7f, critical: (type & 0x80) !== 0, data: r.bytes(length - 1) });
  }
  return out;
}

/** A new-format packet header and body (RFC 4880 section 4.2.2), definite length. */
export function packet(tag: number, body: Uint8Array): Uint8Array {
  const n = body.length;
  let len: number[];
  if (n < 192) len = [n];
  else if (n < 8384) len = [((n - 192) >> 8) + 192, (n - 192) & 0xff];
  else len = [255, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  return Buffer.concat([Uint8Array.of(0xc0 | tag, ...len), body]);
}

/** An MPI from big-endian bytes: leading zero octets dropped, the bit count in front. */
export function mpi(value: Uint8Array): Uint8Array {
  let i = 0;
  while (i < value.length && value[i] === 0) i++;
  const v = value.subarray(i);
  const bits = v.length === 0 ? 0 : (v.length - 1) * 8 + (32 - Math.clz32(v[0] as number));
  return Buffer.concat([Uint8Array.of(bits >> 8, bits & 0xff), v]);
}

export const u32be = (n: number): Uint8Array =>
  Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
