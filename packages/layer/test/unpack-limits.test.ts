// Caps on what an unpack writes (maxBytes, maxEntries), and the cost of replacing many directories. Tars are built
// here with the testkit's raw tar writer; what lands on disk is read back with node:fs.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidInputError, OptionError } from '@lading/digest';
import { makeTempDir, type TempDir } from '@lading/testkit';
import { type RawTarEntry, rawTar } from '@lading/testkit/layer-fixtures';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyLayer, unpackLayers } from '../src/index.js';

async function* once(b: Uint8Array): AsyncGenerator<Uint8Array> {
  yield b;
}
const files = (prefix: string, n: number, size: number): RawTarEntry[] =>
  Array.from({ length: n }, (_, i) => ({ name: `${prefix}${i}`, content: String(i % 10).repeat(size) }));

let tmp: TempDir;
let target: string;
beforeEach(async () => {
  tmp = await makeTempDir('lading-unpack-limits-');
  target = join(tmp.path, 'root');
});
afterEach(() => tmp.cleanup());

describe('unpack caps', () => {
  it('maxEntries: entries past the cap are refused before they touch the disk', async () => {
    const tar = rawTar(files('f', 10, 3));
    const error = await applyLayer(target, { source: once(tar) }, { maxEntries: 4 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ code: 'UNPACK_TOO_MANY_ENTRIES' });
    expect((error as Error).message).toContain('"f4"');
    expect(readdirSync(target).sort()).toEqual(['f0', 'f1', 'f2', 'f3']);
  });

  it('maxBytes: the file that would go past the cap is not created, those before it are whole', async () => {
    const tar = rawTar(files('f', 5, 100));
    const error = await applyLayer(target, { source: once(tar) }, { maxBytes: 250 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'UNPACK_TOO_LARGE' });
    expect(readdirSync(target).sort()).toEqual(['f0', 'f1']);
    expect(readFileSync(join(target, 'f1'), 'utf8')).toBe('1'.repeat(100));
    expect(existsSync(join(target, 'f2'))).toBe(false);
  });

  it('the caps count all layers of one unpackLayers together; exactly at the cap is fine', async () => {
    const a = rawTar(files('a', 3, 10));
    const b = rawTar(files('b', 3, 10));
    await unpackLayers(join(tmp.path, 'ok'), [{ source: once(a) }, { source: once(b) }], {
      maxBytes: 60,
      maxEntries: 6,
    });
    expect(readdirSync(join(tmp.path, 'ok')).length).toBe(6);
    const error = await unpackLayers(target, [{ source: once(a) }, { source: once(b) }], {
      maxEntries: 5,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'UNPACK_TOO_MANY_ENTRIES' });
    expect(readdirSync(target).sort()).toEqual(['a0', 'a1', 'a2', 'b0', 'b1']);
  });

  it('bad caps are an OptionError', async () => {
    for (const bad of [{ maxBytes: -1 }, { maxEntries: 1.5 }, { maxBytes: Number.NaN }]) {
      await expect(applyLayer(target, { source: once(rawTar([])) }, bad)).rejects.toBeInstanceOf(OptionError);
    }
  });
});

describe('directory bookkeeping', () => {
  /** `stable` directories, then one path turned from a directory into a symlink and back `replacements` times. */
  function replacedDirs(stable: number, replacements: number): Buffer {
    const entries: RawTarEntry[] = [];
    for (let i = 0; i < stable; i++) entries.push({ name: `s${i}/`, type: '5' });
    for (let i = 0; i < replacements; i++)
      entries.push(
        { name: 't/', type: '5' },
        { name: 't/f', content: 'x' },
        { name: 't', type: '2', linkname: 'x' },
      );
    return rawTar(entries);
  }

  /**
   * Steps taken through Map and Set iterators while the layer is applied: the bookkeeping's operations, counted
   * exactly (timings are too noisy on a shared machine to show a quadratic term with a small constant).
   */
  async function iterationSteps(n: number): Promise<number> {
    const tar = replacedDirs(n, n);
    let steps = 0;
    const patched: [object, PropertyKey, unknown][] = [];
    for (const proto of [Map.prototype, Set.prototype]) {
      for (const key of ['keys', 'values', 'entries', Symbol.iterator] as const) {
        const original = (proto as unknown as Record<PropertyKey, (...a: unknown[]) => Iterator<unknown>>)[
          key
        ];
        if (typeof original !== 'function') continue;
        patched.push([proto, key, original]);
        Object.defineProperty(proto, key, {
          configurable: true,
          writable: true,
          value: function (this: unknown) {
            const it = original.call(this);
            return {
              next: () => {
                steps++;
                return it.next();
              },
              [Symbol.iterator]() {
                return this;
              },
            };
          },
        });
      }
    }
    try {
      await applyLayer(join(tmp.path, `r${n}`), { source: once(tar) });
    } finally {
      for (const [proto, key, original] of patched)
        Object.defineProperty(proto, key, { configurable: true, writable: true, value: original });
    }
    expect(readdirSync(join(tmp.path, `r${n}`)).length).toBe(n + 1);
    return steps;
  }

  it('grows linearly with the number of replaced directories', async () => {
    const small = await iterationSteps(200);
    const large = await iterationSteps(1600);
    // 8x the directories and replacements: linear bookkeeping takes about 8x the steps; a scan of every known
    // directory per replacement took 64x.
    expect(large / small).toBeLessThan(12);
  }, 60_000);
});
