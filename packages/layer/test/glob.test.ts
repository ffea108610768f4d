// include/exclude patterns and the layer path prefix, checked on the patterns themselves and on GNU tar's listing
// of a layer built with them.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMemoryStore } from '@lading/content-store';
import { InvalidInputError } from '@lading/digest';
import { havePeers, makeTempDir, type TempDir } from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileGlobs } from '../src/glob.js';
import { type BuildLayerOptions, buildLayer } from '../src/index.js';

describe('compileGlobs', () => {
  const cases: [string, string[], string[]][] = [
    ['node_modules', ['node_modules', 'node_modules/x/y.js'], ['a/node_modules', 'node_modules2']],
    ['*.log', ['a.log', 'a.log/inner'], ['d/a.log', 'a.logx', 'alog']],
    ['**/*.log', ['a.log', 'd/a.log', 'd/e/f.log'], ['d/a.logx']],
    ['src/**', ['src/a', 'src/a/b/c'], ['srcx/a', 'other/src/a']],
    ['a/**/b', ['a/b', 'a/x/b', 'a/x/y/b', 'a/x/b/c'], ['a/xb', 'b']],
    ['file?.txt', ['file1.txt', 'fileA.txt'], ['file.txt', 'file12.txt', 'file/.txt']],
    ['./build/', ['build', 'build/out'], ['src/build']],
    ['/abs', ['abs', 'abs/x'], ['x/abs']],
    ['a+b(c)[d].txt', ['a+b(c)[d].txt'], ['aab(c)[d].txt', 'a+bc.txt']],
  ];
  for (const [pattern, yes, no] of cases) {
    it(`${pattern} matches ${yes.join(', ')} and not ${no.join(', ')}`, () => {
      const m = compileGlobs([pattern]);
      for (const p of yes) expect([p, m(p)]).toEqual([p, true]);
      for (const p of no) expect([p, m(p)]).toEqual([p, false]);
    });
  }

  it('no patterns match nothing; several match any', () => {
    expect(compileGlobs([])('anything')).toBe(false);
    const m = compileGlobs(['a', 'b/*']);
    expect([m('a/x'), m('b/y'), m('c')]).toEqual([true, true, false]);
  });
});

let tmp: TempDir;
let tree: string;
beforeAll(async () => {
  tmp = await makeTempDir('lading-glob-');
  tree = join(tmp.path, 'tree');
  for (const f of [
    'src/a.ts',
    'src/deep/b.ts',
    'src/deep/b.log',
    'node_modules/m/index.js',
    'top.log',
    'README',
  ]) {
    mkdirSync(join(tree, f, '..'), { recursive: true });
    writeFileSync(join(tree, f), f);
  }
  mkdirSync(join(tree, 'empty'));
});
afterAll(async () => {
  await tmp.cleanup();
});

async function listing(options: BuildLayerOptions): Promise<string[]> {
  const store = createMemoryStore();
  const layer = await buildLayer(tree, store, { compression: 'uncompressed', ...options });
  const parts: Uint8Array[] = [];
  for await (const c of store.read({ digest: layer.descriptor.digest })) parts.push(c);
  const file = join(tmp.path, `${layer.descriptor.digest.slice(7, 19)}.tar`);
  writeFileSync(file, Buffer.concat(parts));
  return execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).trimEnd().split('\n');
}

describe.runIf(havePeers('tar'))('include, exclude and prefix in a layer', () => {
  it('exclude leaves out whole subtrees and matching files', async () => {
    expect(await listing({ exclude: ['node_modules', '**/*.log'] })).toEqual([
      'README',
      'empty/',
      'src/',
      'src/a.ts',
      'src/deep/',
      'src/deep/b.ts',
    ]);
  });

  it('include keeps matching paths and the directories leading to them, and exclude still applies', async () => {
    expect(await listing({ include: ['src/**/*.ts', 'README'], exclude: ['src/a.ts'] })).toEqual([
      'README',
      'src/',
      'src/deep/',
      'src/deep/b.ts',
    ]);
  });

  it('a prefix puts the tree under a directory, with an entry for each level', async () => {
    expect(await listing({ prefix: '/app/./root/', include: ['README'] })).toEqual([
      'app/',
      'app/root/',
      'app/root/README',
    ]);
  });

  it('a prefix that climbs out is an InvalidInputError', async () => {
    const error = await listing({ prefix: 'app/../..' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
  });
});
