import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

/**
 * Where compiled code is cached: `$LADING_CODE_CACHE` (`off` turns the cache off), else
 * `$XDG_CACHE_HOME/lading/v8`, else `~/.cache/lading/v8`.
 */
export function codeCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const set = env.LADING_CODE_CACHE;
  if (set === 'off') return undefined;
  if (set !== undefined && set !== '') return set;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'lading', 'v8');
}

/**
 * `require(id)` of a CommonJS module, compiled with V8's code cache (what `v8-compile-cache` does for every
 * require; Node 20 has no `module.enableCompileCache`). A large library then compiles in a few milliseconds
 * instead of tens on every run of a short command. The cache is keyed by the source's digest, Node's version and
 * the architecture, and V8 itself refuses data that does not match (`cachedDataRejected`); a cache that cannot be
 * read or written only costs the compile. Only for self-contained bundles (the module's own `require` resolves
 * from its file, as it would under Node's loader).
 */
export function requireWithCodeCache(id: string, from: string | URL): unknown {
  const file = createRequire(from).resolve(id);
  const source = readFileSync(file, 'utf8');
  const dir = codeCacheDir();
  const key = createHash('sha256')
    .update(`${process.version}\0${process.arch}\0${file}\0`)
    .update(source)
    .digest('hex')
    .slice(0, 32);
  const cacheFile = dir !== undefined ? join(dir, `${key}.bin`) : undefined;
  let cachedData: Buffer | undefined;
  try {
    if (cacheFile !== undefined) cachedData = readFileSync(cacheFile);
  } catch {}
  const script = new Script(Module.wrap(source), {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
  });
  const module = { exports: {} as unknown, filename: file, id: file, loaded: false };
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  module.loaded = true;
  if (cacheFile !== undefined && (cachedData === undefined || script.cachedDataRejected)) {
    // after the first run, so the functions the load itself compiled are in the cache too
    try {
      mkdirSync(dirname(cacheFile), { recursive: true, mode: 0o700 });
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
      renameSync(tmp, cacheFile);
    } catch {}
  }
  return module.exports;
}
