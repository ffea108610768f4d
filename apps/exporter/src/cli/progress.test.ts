import { describe, expect, it } from 'vitest';
import { createProgress } from './progress.js';

/** A stand-in for stderr that keeps what is written. */
function fakeStream(isTTY: boolean) {
  const written: string[] = [];
  const stream = {
    isTTY,
    columns: 120,
    write: (s: string) => {
      written.push(s);
      return true;
    },
  } as unknown as NodeJS.WriteStream;
  return { stream, written };
}

describe('progress', () => {
  it('tty: a bar line with bytes and a rate, cleared before the next step line', () => {
    const { stream, written } = fakeStream(true);
    const p = createProgress('auto', stream);
    p.start('build', 'building 1 layer(s)');
    p.bytes('layer 0', 'layer 0', 3 * 1024 * 1024, 4 * 1024 * 1024);
    const bar = written.at(-1) as string;
    const clear = '\r\x1b[2K';
    expect(bar.startsWith(clear)).toBe(true);
    expect(bar.slice(clear.length)).toMatch(/^layer 0 \[=+ *\] 3\.0 MiB \/ 4\.0 MiB .*\/s$/);
    p.done('build');
    expect(written.at(-2)).toBe('\r\x1b[2K');
    expect(written.at(-1)).toMatch(/^#1 DONE \d+\.\ds\n$/);
  });

  it('plain (not a terminal): step lines only, no byte lines', () => {
    const { stream, written } = fakeStream(false);
    const p = createProgress('auto', stream);
    p.start('build', 'building 1 layer(s)');
    p.bytes('layer 0', 'layer 0', 10);
    p.done('build');
    expect(written).toEqual(['#1 building 1 layer(s)\n', expect.stringMatching(/^#1 DONE \d+\.\ds\n$/)]);
  });

  it('the last byte count of a transfer with a total is always shown', () => {
    const { stream, written } = fakeStream(true);
    const p = createProgress('tty', stream);
    p.bytes('x', 'x', 1, 2);
    p.bytes('x', 'x', 2, 2);
    expect(written).toHaveLength(2);
    expect(written[1]).toContain('2 B / 2 B');
  });

  it('a cache hit is its own step marked CACHED (plain), an event (json), nothing (quiet)', () => {
    const plain = fakeStream(false);
    const p = createProgress('plain', plain.stream);
    p.start('build', 'building 2 layer(s)');
    p.cached('layer 0', 'layer 0 sha256:abc from the local layer cache');
    expect(plain.written).toEqual([
      '#1 building 2 layer(s)\n',
      '#2 layer 0 sha256:abc from the local layer cache\n#2 CACHED\n',
    ]);
    const json = fakeStream(false);
    createProgress('json', json.stream).cached('layer 0', 'layer 0 x');
    expect(JSON.parse(json.written[0] as string)).toMatchObject({
      event: 'cached',
      id: 'layer 0',
      name: 'layer 0 x',
    });
    const quiet = fakeStream(false);
    createProgress('quiet', quiet.stream).cached('layer 0', 'layer 0 x');
    expect(quiet.written).toEqual([]);
  });
});
