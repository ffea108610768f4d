import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLadingError } from '@lading/digest';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyLayer } from '../src/index.js';

const numRuns = Number(process.env.LADING_FUZZ_RUNS) || 10_000;

// Tar headers written here by hand, field by field, with hostile values: applying them must end in a typed error
// or an unpacked entry inside the target, never another exception, a hang or a write outside.

const enc = new TextEncoder();
const ascii = (unit: fc.Arbitrary<string>, maxLength: number) => fc.string({ unit, maxLength });
const nameUnit = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('a', 'b', '/', '.', '..', '.wh.', '.wh..wh..opq') },
  fc.constantFrom('\0', '\\', ' ', '\n'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);
const octalField = (width: number) =>
  fc.oneof(
    { weight: 8, arbitrary: fc.nat({ max: 0o777 }).map((n) => n.toString(8).padStart(width - 1, '0')) },
    { weight: 1, arbitrary: ascii(fc.constantFrom('0', '7', '8', ' ', '\0', 'x', '-'), width) },
    // Base-256 (GNU's binary numbers): the high bit set on the first byte.
    { weight: 1, arbitrary: fc.constant('\x80\x00\x00\x00\x00\x00\x00\x01') },
  );
// No fifo ('6'): making one spawns mkfifo, which would make the run slow, and its header is decoded as a file's.
const typeflag = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom('0', '\0', '1', '2', '5', '3', '4') },
  fc.constantFrom('7', 'g', 'x', 'L', 'K', 'S', 'V', 'D', 'M', 'Z'),
);

interface Header {
  name: string;
  mode: string;
  uid: string;
  size: number;
  /** What the size field says instead of the content's length, sometimes. */
  sizeField: string | null;
  mtime: string;
  type: string;
  linkname: string;
  magic: string;
  prefix: string;
  badChecksum: boolean;
}

const header: fc.Arbitrary<Header> = fc.record({
  name: ascii(nameUnit, 12).map((parts) => parts),
  mode: octalField(8),
  uid: octalField(8),
  size: fc.nat({ max: 40 }),
  sizeField: fc.oneof(
    { weight: 8, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: octalField(12) },
    { weight: 1, arbitrary: fc.constant('77777777777') },
  ),
  mtime: octalField(12),
  type: typeflag,
  linkname: ascii(nameUnit, 8),
  magic: fc.oneof(
    { weight: 4, arbitrary: fc.constant('ustar\x0000') },
    fc.constantFrom('ustar  \0', '\0\0\0\0\0\0\0\0'),
  ),
  prefix: ascii(nameUnit, 4),
  badChecksum: fc.oneof({ weight: 9, arbitrary: fc.constant(false) }, fc.constant(true)),
});

function put(block: Uint8Array, offset: number, width: number, text: string): void {
  block.set(enc.encode(text).subarray(0, width), offset);
}

function encodeHeader(h: Header): Uint8Array {
  const b = new Uint8Array(512);
  put(b, 0, 100, h.name);
  put(b, 100, 8, h.mode);
  put(b, 108, 8, h.uid);
  put(b, 116, 8, h.uid);
  put(b, 124, 12, h.sizeField ?? h.size.toString(8).padStart(11, '0'));
  put(b, 136, 12, h.mtime);
  b.fill(0x20, 148, 156);
  put(b, 156, 1, h.type);
  put(b, 157, 100, h.linkname);
  put(b, 257, 8, h.magic);
  put(b, 345, 155, h.prefix);
  let sum = 0;
  for (const x of b) sum += x;
  put(b, 148, 8, `${(h.badChecksum ? sum + 1 : sum).toString(8).padStart(6, '0')}\0 `);
  return b;
}

/** One or two entries (a PAX header's records first, sometimes), content, padding, the end. */
const layer = fc
  .tuple(
    fc.array(header, { minLength: 1, maxLength: 2 }),
    fc.option(
      fc.array(
        fc.tuple(
          fc.constantFrom('path', 'linkpath', 'size', 'uid', 'gid', 'mtime', 'SCHILY.xattr.user.x', 'x'),
          ascii(fc.oneof(nameUnit, fc.constantFrom('1', '9', '-', '.')), 10),
        ),
        { maxLength: 3 },
      ),
    ),
    fc.uint8Array({ maxLength: 40 }),
    fc.boolean(),
  )
  .map(([headers, pax, content, end]) => {
    const parts: Uint8Array[] = [];
    if (pax) {
      const body = enc.encode(
        pax
          .map(([k, v]) => {
            const rec = ` ${k}=${v}\n`;
            let n = enc.encode(rec).length + 1;
            while (String(n).length + enc.encode(rec).length !== n) n++;
            return `${n}${rec}`;
          })
          .join(''),
      );
      parts.push(
        encodeHeader({ ...(headers[0] as Header), type: 'x', size: body.length, sizeField: null }),
        body,
      );
      parts.push(new Uint8Array((512 - (body.length % 512)) % 512));
    }
    for (const h of headers) {
      parts.push(encodeHeader(h));
      const data = content.subarray(0, h.size);
      parts.push(data, new Uint8Array((512 - (data.length % 512)) % 512));
    }
    if (end) parts.push(new Uint8Array(1024));
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  });

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

// In memory where the machine has a tmpfs: ten thousand small unpacks cost a third as much there.
let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'lading-tar-fuzz-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }), 120_000);

describe('tar headers under random input', () => {
  it('apply to a typed error or to entries inside the target, nothing outside', async () => {
    const codes = new Map<string, number>();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(layer, async (bytes) => {
        // A directory per case, removed at the end: removing trees one by one would take most of the run.
        const parent = join(tmp, String(n++));
        const target = join(parent, 'target');
        mkdirSync(target, { recursive: true });
        try {
          await applyLayer(target, { source: once(bytes) }, { rootless: true, sameOwner: false });
          codes.set('ok', (codes.get('ok') ?? 0) + 1);
        } catch (e) {
          if (!isLadingError(e)) throw e;
          // The header's fault, so bad input (exit 3), never an unexpected file-system failure (exit 1).
          expect(e.kind, e.message).toBe('invalid-input');
          codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
        }
        expect(readdirSync(parent)).toEqual(['target']);
      }),
      { numRuns },
    );
    // Both outcomes happen: the generator reaches past the header checks.
    expect(codes.get('ok')).toBeGreaterThan(numRuns / 20);
    expect(codes.get('BAD_TAR')).toBeGreaterThan(0);
  }, 300_000);
});
