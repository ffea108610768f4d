// Header encoding at the edges of USTAR: sizes over 8 GiB, ids over 2097151, times past 2242 and long names need
// PAX records. Nothing of 8 GiB is streamed: GNU tar lists a header followed by a little data (and then complains
// that the archive ends early), and tar-stream (what our unpack reads with) parses the same header.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { havePeers, makeTempDir, type TempDir } from '@lading/testkit';
import { extract, type Header } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeTarHeader, type TarHeader } from '../src/index.js';

const base: TarHeader = {
  name: 'big.bin',
  type: 'file',
  mode: 0o644,
  uid: 0,
  gid: 0,
  size: 0,
  mtime: 1_700_000_000,
};

/** PAX records of an encoded header, parsed by hand (`<len> <key>=<value>\n`), or undefined when there is none. */
function paxRecords(encoded: Uint8Array): Record<string, string> | undefined {
  const b = Buffer.from(encoded);
  if (String.fromCharCode(b[156] as number) !== 'x') return undefined;
  const size = Number.parseInt(b.toString('latin1', 124, 135), 8);
  const body = b.subarray(512, 512 + size);
  const out: Record<string, string> = {};
  let off = 0;
  while (off < body.length) {
    const space = body.indexOf(0x20, off);
    const len = Number(body.toString('latin1', off, space));
    const rec = body.subarray(space + 1, off + len - 1).toString('utf8');
    const eq = rec.indexOf('=');
    out[rec.slice(0, eq)] = rec.slice(eq + 1);
    // The length counts the whole record, its own digits and the newline included.
    expect(body[off + len - 1]).toBe(0x0a);
    off += len;
  }
  return out;
}

let tmp: TempDir;
beforeAll(async () => {
  tmp = await makeTempDir('lading-tar-header-');
});
afterAll(async () => {
  await tmp.cleanup();
});

/** `tar -tv` of the header plus 2 KiB of data: GNU tar prints the entry, then fails on the early end. */
function gnuList(h: TarHeader): { line: string; stderr: string } {
  const file = join(tmp.path, `${createHash('sha256').update(JSON.stringify(h)).digest('hex')}.tar`);
  writeFileSync(file, Buffer.concat([encodeTarHeader(h), Buffer.alloc(h.size > 0 ? 2048 : 1024)]));
  const r = spawnSync('tar', ['--numeric-owner', '--full-time', '-tvf', file], {
    encoding: 'utf8',
    env: { ...process.env, TZ: 'UTC' },
  });
  return { line: r.stdout.trimEnd().split('\n')[0] ?? '', stderr: r.stderr };
}

/** The first header as tar-stream reads it (the rest of the entry is never needed). */
async function tarStreamHeader(h: TarHeader): Promise<Header> {
  const ex = extract();
  const got = new Promise<Header>((resolve, reject) => {
    ex.on('entry', (header) => {
      resolve(header);
      ex.destroy();
    });
    ex.on('error', reject);
  });
  ex.write(Buffer.concat([encodeTarHeader(h), Buffer.alloc(1024)]));
  return got;
}

const nineGiB = 9 * 1024 ** 3;
const octal11Max = 0o77777777777; // 8 GiB - 1

describe.runIf(havePeers('tar'))('encodeTarHeader at the edges of USTAR', () => {
  it('a 9 GiB file gets a PAX size record that GNU tar and tar-stream read', async () => {
    const h = { ...base, size: nineGiB };
    expect(paxRecords(encodeTarHeader(h))).toEqual({ size: String(nineGiB) });
    const { line, stderr } = gnuList(h);
    expect(line).toMatch(new RegExp(`^-rw-r--r-- 0/0 +${nineGiB} 2023-11-14 22:13:20 big\\.bin$`));
    // ... and then stops at the missing data.
    expect(stderr).not.toBe('');
    expect((await tarStreamHeader(h)).size).toBe(nineGiB);
  });

  it('8 GiB - 1 still fits the octal field; 8 GiB does not', async () => {
    expect(paxRecords(encodeTarHeader({ ...base, size: octal11Max }))).toBeUndefined();
    expect(gnuList({ ...base, size: octal11Max }).line).toContain(` ${octal11Max} `);
    expect(paxRecords(encodeTarHeader({ ...base, size: octal11Max + 1 }))).toEqual({
      size: String(octal11Max + 1),
    });
    expect(gnuList({ ...base, size: octal11Max + 1 }).line).toContain(` ${octal11Max + 1} `);
  });

  it('uid and gid over 2097151 get PAX records', async () => {
    const h = { ...base, uid: 2_097_152, gid: 3_000_000, size: 5 };
    expect(paxRecords(encodeTarHeader(h))).toEqual({ gid: '3000000', uid: '2097152' });
    expect(gnuList(h).line).toMatch(/^-rw-r--r-- 2097152\/3000000 +5 /);
    // tar-stream leaves ids to the PAX records (our unpack reads them there).
    const read = await tarStreamHeader(h);
    expect(read.pax).toMatchObject({ uid: '2097152', gid: '3000000' });
    // The largest octal id needs none.
    expect(paxRecords(encodeTarHeader({ ...base, uid: 2_097_151, gid: 2_097_151 }))).toBeUndefined();
  });

  it('a time past 2242 gets a PAX mtime record', () => {
    const mtime = octal11Max + 1;
    expect(paxRecords(encodeTarHeader({ ...base, mtime }))).toEqual({ mtime: String(mtime) });
    expect(gnuList({ ...base, mtime }).line).toMatch(/ 2242-03-16 12:56:32 big\.bin$/);
  });

  it('long and non-ASCII names and link targets: USTAR prefix when it fits, PAX otherwise', async () => {
    const dir = 'd'.repeat(150);
    const split = { ...base, name: `${dir}/${'f'.repeat(99)}` };
    expect(paxRecords(encodeTarHeader(split))).toBeUndefined();
    expect(gnuList(split).line).toMatch(new RegExp(`${dir}/${'f'.repeat(99)}$`));
    const long = { ...base, name: `${'a'.repeat(300)}/x` };
    expect(paxRecords(encodeTarHeader(long))).toEqual({ path: long.name });
    expect((await tarStreamHeader(long)).name).toBe(long.name);
    const unicode = { ...base, type: 'symlink' as const, name: 'lien', linkname: 'cible-é' };
    expect(paxRecords(encodeTarHeader(unicode))).toEqual({ linkpath: 'cible-é' });
    expect((await tarStreamHeader(unicode)).linkname).toBe('cible-é');
  });
});
