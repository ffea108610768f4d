// Raw tar bytes for tests of tar readers, written here by hand (independently of any package under test), including
// entries a safe unpacker must refuse.

export interface RawTarEntry {
  readonly name: string;
  /**
   * Tar type flag: '0' file, '1' hardlink, '2' symlink, '3' char device, '4' block device, '5' directory, '6' fifo,
   * 'g' PAX global header, 'S' GNU sparse file, 'V' GNU volume label.
   */
  readonly type?: '0' | '1' | '2' | '3' | '4' | '5' | '6' | 'g' | 'S' | 'V';
  readonly linkname?: string;
  readonly content?: string | Uint8Array;
  readonly mode?: number;
  readonly mtime?: number;
  /** Write the name in a PAX `path` record (for names longer than 100 bytes). */
  readonly pax?: boolean;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function block(name: string, typeflag: string, size: number, e: RawTarEntry): Buffer {
  const b = Buffer.alloc(512);
  b.write(name.slice(0, 100), 0, 'utf8');
  b.write(octal(e.mode ?? (typeflag === '5' ? 0o755 : 0o644), 8), 100, 'latin1');
  b.write(octal(0, 8), 108, 'latin1');
  b.write(octal(0, 8), 116, 'latin1');
  b.write(octal(size, 12), 124, 'latin1');
  b.write(octal(e.mtime ?? 1_600_000_000, 12), 136, 'latin1');
  b.fill(' ', 148, 156);
  b.write(typeflag, 156, 'latin1');
  if (e.linkname) b.write(e.linkname.slice(0, 100), 157, 'utf8');
  b.write('ustar\u000000', 257, 'latin1');
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return b;
}

const pad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);

/** A tar archive (uncompressed) of the given entries, in order, with the two closing zero blocks. */
export function rawTar(entries: readonly RawTarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const content = e.content === undefined ? Buffer.alloc(0) : Buffer.from(e.content);
    if (e.pax) {
      const rec = (k: string, v: string) => {
        const body = ` ${k}=${v}\n`;
        let len = Buffer.byteLength(body) + 1;
        while (String(len).length + Buffer.byteLength(body) !== len) len++;
        return `${len}${body}`;
      };
      const paxBody = Buffer.from(rec('path', e.name));
      parts.push(
        block('PaxHeader', 'x', paxBody.length, { name: 'PaxHeader' }),
        paxBody,
        pad(paxBody.length),
      );
    }
    parts.push(block(e.name, e.type ?? '0', content.length, e), content, pad(content.length));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}
