import { describe, expect, it } from 'vitest';
import { blobProgressPrinter } from '../src/cli/blob-progress.js';

// issue 19 item 7: `from` shows the bytes of each blob on a terminal and lines alone in a log.
function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, columns: 200, write: (s: string) => writes.push(s) > 0 } };
}
const digest = `sha256:${'ab'.repeat(32)}`;

describe('blobProgressPrinter', () => {
  it('on a terminal: one line rewritten in place with bytes, share and rate; a report line replaces it', () => {
    const { writes, stream } = fakeStream(true);
    let t = 0;
    const p = blobProgressPrinter(stream, () => t);
    p.bytes({ digest, bytes: 1 << 20, total: 4 << 20 });
    t = 1000;
    p.bytes({ digest, bytes: 2 << 20, total: 4 << 20 });
    p.line(`Copying blob ${digest}`);
    expect(writes[0]).toBe(
      `\r\x1b[2KCopying blob ${digest.slice(0, 19)} [=====               ] 1.0 MiB / 4.0 MiB (1000.0 MiB/s)`,
    );
    expect(writes[1]).toBe(
      `\r\x1b[2KCopying blob ${digest.slice(0, 19)} [==========          ] 2.0 MiB / 4.0 MiB (2.0 MiB/s)`,
    );
    // the byte line is cleared before the line that ends it
    expect(writes.slice(2)).toEqual(['\r\x1b[2K', `Copying blob ${digest}\n`]);
  });

  it('in a log (no terminal): no byte reports, lines only, terminal controls stripped', () => {
    const { writes, stream } = fakeStream(false);
    const p = blobProgressPrinter(stream);
    p.bytes({ digest, bytes: 1 << 20, total: 4 << 20 });
    p.line(`Copying blob ${digest}`);
    p.line('Trying to pull evil\x1b[31m/x:1...');
    expect(writes).toEqual([`Copying blob ${digest}\n`, 'Trying to pull evil/x:1...\n']);
  });
});
