// Tar entries a layer cannot or need not carry, and tars that lie about their sizes or stop short: each is refused
// with a typed error naming the entry (or skipped, a PAX global header), and nothing outside the target changes.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidInputError } from '@lading/digest';
import { rawTar } from '@lading/testkit/layer-fixtures';
import { describe, expect, it } from 'vitest';
import { applyLayer } from '../src/index.js';
import { bytes, type Sandbox, outsideState as stateOutside, useSandbox } from './hostile-sandbox.js';

let box: Sandbox;
let target: string;
useSandbox((b) => {
  box = b;
  target = b.target;
});
const outsideState = () => stateOutside(box);

describe('entries a layer cannot carry, and broken tars', () => {
  it('refuses device nodes when rootless, before creating anything for them', async () => {
    const before = outsideState();
    for (const type of ['3', '4'] as const) {
      const tar = rawTar([{ name: `dev/node${type}`, type }]);
      const error = await applyLayer(target, { source: bytes(tar) }, { rootless: true }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).code).toBe('UNSAFE_TAR_ENTRY');
      expect((error as Error).message).toContain(`"dev/node${type}"`);
      expect(existsSync(join(target, 'dev', `node${type}`))).toBe(false);
    }
    expect(outsideState()).toEqual(before);
  });

  it('refuses an entry of a type a layer cannot carry (GNU sparse, volume label), leaving that path as it was', async () => {
    await applyLayer(target, { source: bytes(rawTar([{ name: 'data.bin', content: 'lower' }])) });
    for (const type of ['S', 'V'] as const) {
      const tar = rawTar([{ name: 'data.bin', type, content: 'sparse map and data' }]);
      const error = await applyLayer(target, { source: bytes(tar) }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).code).toBe('UNSUPPORTED_TAR_ENTRY');
      expect((error as Error).message).toContain('"data.bin"');
      expect(readFileSync(join(target, 'data.bin'), 'utf8')).toBe('lower');
    }
  });

  it('skips a PAX global header (as git archive writes) and unpacks the rest', async () => {
    const tar = rawTar([
      {
        name: 'pax_global_header',
        type: 'g',
        content: '52 comment=0123456789abcdef0123456789abcdef01234567\n',
      },
      { name: 'f', content: 'x' },
    ]);
    await applyLayer(target, { source: bytes(tar) });
    expect(readdirSync(target)).toEqual(['f']);
  });

  it('a PAX header claiming a huge size is refused without buffering it', async () => {
    const tar = rawTar([{ name: 'x', content: 'x' }]);
    // Turn the first header into a PAX header ('x') of 1 GiB that is not there.
    tar.write('x', 156, 'latin1');
    tar.write(`${(1024 ** 3).toString(8).padStart(11, '0')}\0`, 124, 'latin1');
    tar.fill(' ', 148, 156);
    let sum = 0;
    for (const b of tar.subarray(0, 512)) sum += b;
    tar.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    const error = await applyLayer(target, { source: bytes(tar) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).code).toBe('BAD_TAR');
  });

  it('a tar cut short inside a file is a BAD_TAR error naming that entry', async () => {
    const whole = rawTar([
      { name: 'a', content: 'a' },
      { name: 'big', content: Buffer.alloc(4096, 7) },
    ]);
    const error = await applyLayer(target, { source: bytes(whole.subarray(0, 512 * 2 + 512 + 1000)) }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).code).toBe('BAD_TAR');
    expect((error as Error).message).toContain('"big"');
  });
});
