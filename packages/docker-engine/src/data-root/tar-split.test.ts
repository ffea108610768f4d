import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { havePeers } from '@lading/testkit';
import { rawTar } from '@lading/testkit/layer-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TarSplitter } from './tar-split.js';

interface Line {
  type: number;
  name?: string;
  name_raw?: string;
  size?: number;
  payload: string | null;
  position: number;
}

function split(tar: Uint8Array, chunk = 777): { lines: Line[]; text: string; size: number } {
  let text = '';
  const s = new TarSplitter((l) => {
    text += l;
  });
  for (let off = 0; off < tar.length; off += chunk) s.write(tar.subarray(off, off + chunk));
  s.end();
  const lines = text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);
  return { lines, text, size: s.size };
}

/** tar-split's assembler, written here: segments verbatim, each file's bytes read by name from `files`. */
function assemble(lines: readonly Line[], files: (name: string) => Uint8Array): Buffer {
  const out: Buffer[] = [];
  for (const l of lines) {
    if (l.type === 2) out.push(Buffer.from(l.payload ?? '', 'base64'));
    else if ((l.size ?? 0) > 0) {
      const name = l.name ?? Buffer.from(l.name_raw ?? '', 'base64').toString('latin1');
      out.push(Buffer.from(files(name)));
    }
  }
  return Buffer.concat(out);
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** CRC-64/ISO bit by bit (Go's hash/crc64 with crc64.ISO), as the 8 bytes tar-split stores, base64. */
function crc64Base64(data: Uint8Array): string {
  const mask = (1n << 64n) - 1n;
  let crc = mask;
  for (const b of data) {
    crc ^= BigInt(b);
    for (let i = 0; i < 8; i++) crc = crc & 1n ? (crc >> 1n) ^ 0xd800000000000000n : crc >> 1n;
  }
  return Buffer.from((~crc & mask).toString(16).padStart(16, '0'), 'hex').toString('base64');
}

const tarAvailable = havePeers('tar');

describe('TarSplitter', () => {
  let dir: string;
  let tree: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lading-tar-split-'));
    tree = join(dir, 'tree');
    const long = 'd'.repeat(90);
    mkdirSync(join(tree, long, 'e'.repeat(90)), { recursive: true });
    writeFileSync(join(tree, long, 'e'.repeat(90), 'f'.repeat(80)), 'deep\n');
    writeFileSync(join(tree, 'small'), 'x');
    writeFileSync(join(tree, 'block'), Buffer.alloc(512, 1));
    writeFileSync(join(tree, 'empty'), '');
    writeFileSync(join(tree, 'big'), Buffer.alloc(3 * 1024 * 1024 + 3, 7));
    symlinkSync('t'.repeat(150), join(tree, 'long-link'));
    execFileSync('ln', [join(tree, 'small'), join(tree, 'small-hard')]);
    writeFileSync(join(tree, 'ünïcödé'), 'utf8 name\n');
    writeFileSync(join(tree, Buffer.from([0x6c, 0x61, 0x74, 0x69, 0x6e, 0xe9]).toString('latin1')), 'x');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.skipIf(!tarAvailable).each(['gnu', 'pax', 'ustar', 'v7', 'oldgnu'])(
    'puts a GNU tar --format=%s archive back together byte for byte from its lines and the files',
    (format) => {
      const file = join(dir, `${format}.tar`);
      // ustar and v7 cannot hold every name of the tree: tar skips those (and says so on stderr).
      try {
        execFileSync('tar', [`--format=${format}`, '-cf', file, '-C', tree, '.'], { stdio: 'ignore' });
      } catch {
        // exit 2 with the archive written
      }
      const tar = readFileSync(file);
      const { lines, size } = split(tar);
      // (Compared as digests: a deep equality over megabytes is slow.)
      expect(sha256(assemble(lines, (n) => readFileSync(join(tree, n))))).toBe(sha256(tar));
      expect(lines.map((l) => l.position)).toEqual(lines.map((_, i) => i));
      // GNU tar pads the archive to its 10 KiB record: the padding is kept, and the last line is tar-split's empty read.
      expect(lines.at(-1)).toEqual({ type: 2, payload: '', position: lines.length - 1 });
      expect(size).toBe(lines.reduce((n, l) => n + (l.type === 1 ? (l.size ?? 0) : 0), 0));
      const big = lines.find((l) => l.name === './big');
      expect(big?.size).toBe(3 * 1024 * 1024 + 3);
    },
  );

  it('writes the lines as tar-split writes them: names, sizes, null payloads for empty entries, base64 segments', () => {
    const tar = rawTar([
      { name: 'a/', type: '5' },
      { name: 'a/file', content: 'hello' },
      { name: 'a/link', type: '1', linkname: 'a/file' },
      { name: 'a/<&>"\\\t', content: '' },
    ]);
    const { text } = split(tar, 100);
    const header = (i: number) => tar.subarray(i * 512, (i + 1) * 512).toString('base64');
    expect(text.split('\n').slice(0, 4)).toEqual([
      `{"type":2,"payload":"${header(0)}","position":0}`,
      '{"type":1,"name":"a/","payload":null,"position":1}',
      `{"type":2,"payload":"${header(1)}","position":2}`,
      // crc64/ISO of "hello", big-endian, as Go's Sum(nil) gives it
      `{"type":1,"name":"a/file","size":5,"payload":"${crc64Base64(Buffer.from('hello'))}","position":3}`,
    ]);
    // Go escapes <, > and & (HTML-safe) and control characters.
    expect(text).toContain('"name":"a/\\u003c\\u0026\\u003e\\"\\\\\\t"');
  });

  it('keeps a non-UTF-8 name as name_raw', () => {
    const tar = Buffer.from(rawTar([{ name: 'latin-x', content: 'x' }]));
    // Put a 0xE9 byte in the name and fix the checksum.
    tar[6] = 0xe9;
    tar.fill(0x20, 148, 156);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += tar[i] as number;
    tar.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    const { lines } = split(tar);
    expect(lines[1]).toMatchObject({
      type: 1,
      name_raw: Buffer.from('latin-\xe9', 'latin1').toString('base64'),
    });
    expect(lines[1]?.name).toBeUndefined();
  });

  it('refuses what Go refuses or lading does not unpack, with typed errors', () => {
    const ok = rawTar([{ name: 'f', content: 'abc' }]);
    const cases: [string, Uint8Array, string][] = [
      [
        'a bad checksum',
        Buffer.concat([Buffer.from(ok.subarray(0, 148)), Buffer.from('0000001\0'), ok.subarray(156)]),
        'BAD_TAR',
      ],
      ['a truncated payload', ok.subarray(0, 512 + 2), 'BAD_TAR'],
      ['a truncated header', ok.subarray(0, 300), 'BAD_TAR'],
      ['a zero block then a header', Buffer.concat([Buffer.alloc(512), ok]), 'BAD_TAR'],
      ['a name that climbs out', rawTar([{ name: '../evil', content: 'x' }]), 'UNSAFE_TAR_ENTRY'],
      ['an absolute name', rawTar([{ name: '/etc/evil', content: 'x' }]), 'UNSAFE_TAR_ENTRY'],
      ['a GNU sparse file', rawTar([{ name: 'sparse', type: 'S', content: 'x' }]), 'UNSUPPORTED_TAR_ENTRY'],
    ];
    for (const [what, tar, code] of cases) {
      expect(() => split(tar), what).toThrow(expect.objectContaining({ code }));
    }
  });

  it('accepts a tar that ends on a block boundary without the end blocks, as Go does', () => {
    const ok = rawTar([{ name: 'f', content: 'abc' }]);
    const { lines } = split(ok.subarray(0, 1024));
    expect(assemble(lines, () => Buffer.from('abc'))).toEqual(ok.subarray(0, 1024));
  });
});
