import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { codeCacheDir, requireWithCodeCache } from './cached-require.js';

describe('requireWithCodeCache', () => {
  let dir: string;
  let cache: string;
  const saved = process.env.LADING_CODE_CACHE;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lading-code-cache-'));
    cache = join(dir, 'cache');
    process.env.LADING_CODE_CACHE = cache;
    await writeFile(join(dir, 'helper.js'), 'module.exports = (x) => x * 2;\n');
    await writeFile(
      join(dir, 'lib.js'),
      "const { basename } = require('node:path');\nconst twice = require('./helper.js');\nexports.answer = twice(21);\nexports.file = basename(__filename);\n",
    );
  });
  afterEach(async () => {
    if (saved === undefined) delete process.env.LADING_CODE_CACHE;
    else process.env.LADING_CODE_CACHE = saved;
    await rm(dir, { recursive: true, force: true });
  });
  const from = () => pathToFileURL(join(dir, 'x.js'));
  // V8 keeps compiled scripts in memory too: a fresh process shows what the cache file alone does
  const built = new URL('../dist/cached-require.js', import.meta.url).href;
  const loadInChild = () =>
    JSON.parse(
      execFileSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `import { requireWithCodeCache } from ${JSON.stringify(built)};
          process.stdout.write(JSON.stringify(requireWithCodeCache('./lib.js', ${JSON.stringify(from().href)})));`,
        ],
        { env: { ...process.env, LADING_CODE_CACHE: cache }, encoding: 'utf8' },
      ),
    );

  it('loads the module as require would, and writes its compiled code once', async () => {
    expect(requireWithCodeCache('./lib.js', from())).toEqual({ answer: 42, file: 'lib.js' });
    const files = await readdir(cache);
    expect(files).toHaveLength(1);
    const first = await stat(join(cache, files[0] as string));
    expect(first.size).toBeGreaterThan(0);
    // loaded again by another process: V8 takes the cache, which is left as it was
    expect(loadInChild()).toEqual({ answer: 42, file: 'lib.js' });
    const again = await stat(join(cache, files[0] as string));
    expect(again.mtimeMs).toBe(first.mtimeMs);
    expect(again.ino).toBe(first.ino);
  });

  it('replaces a cache V8 rejects, and keys the cache by the source', async () => {
    requireWithCodeCache('./lib.js', from());
    const [name] = await readdir(cache);
    const file = join(cache, name as string);
    await writeFile(file, 'not code cache data');
    expect(loadInChild()).toEqual({ answer: 42, file: 'lib.js' });
    expect((await readFile(file, 'utf8')).startsWith('not code cache data')).toBe(false);
    await writeFile(join(dir, 'lib.js'), 'exports.answer = 7;\n');
    expect(requireWithCodeCache('./lib.js', from())).toEqual({ answer: 7 });
    expect(await readdir(cache)).toHaveLength(2);
  });

  it('writes nothing when turned off, and still loads when the cache cannot be written', async () => {
    process.env.LADING_CODE_CACHE = 'off';
    expect(codeCacheDir()).toBeUndefined();
    expect(requireWithCodeCache('./lib.js', from())).toEqual({ answer: 42, file: 'lib.js' });
    await writeFile(join(dir, 'a-file'), '');
    process.env.LADING_CODE_CACHE = join(dir, 'a-file', 'below');
    expect(requireWithCodeCache('./lib.js', from())).toEqual({ answer: 42, file: 'lib.js' });
  });

  it('defaults under XDG_CACHE_HOME, then ~/.cache', () => {
    expect(codeCacheDir({ XDG_CACHE_HOME: '/x' })).toBe('/x/lading/v8');
    expect(codeCacheDir({})?.endsWith(join('.cache', 'lading', 'v8'))).toBe(true);
  });
});
