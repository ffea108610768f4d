#!/usr/bin/env node
// Bundles an app's CLI into dist/bundle/: one ESM entry file that loads only what `lading --version` needs, and lazy
// chunks for every dynamic import() (each command, tar reading, zstd, TLS, the registry client, ...). Node starts a
// process faster from a few large files than from ~150 small ES modules. The packages stay plain `tsc -b` ESM for
// library users; this is an extra step of the apps' `build`, run from the app's directory:
//   node ../../tools/bundle.mjs src/cli/main.ts
// Code that finds files or modules beside itself (`createRequire(import.meta.url)` for native and optional modules,
// `new URL(x, import.meta.url)`) keeps working: in a bundle, `import.meta.url` of a workspace file becomes the URL of
// that file's own `tsc` output, found at run time through the package's name, so a native module still resolves
// from the package that depends on it.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const appDir = process.cwd();
const entries = process.argv.slice(2);
if (entries.length === 0) {
  process.stderr.write('usage: node tools/bundle.mjs ENTRY.ts... (run from the app directory)\n');
  process.exit(2);
}
const outdir = join(appDir, 'dist', 'bundle');

const manifests = new Map();
/** The nearest package.json above `file` (its directory and contents), cached. */
async function packageOf(file) {
  let dir = dirname(file);
  for (;;) {
    if (!manifests.has(dir)) {
      try {
        manifests.set(dir, JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')));
      } catch {
        manifests.set(dir, undefined);
      }
    }
    const pkg = manifests.get(dir);
    if (pkg) return { dir, pkg };
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${file}`);
    dir = up;
  }
}

function posix(p) {
  return p.split(sep).join('/');
}

/** A JS expression for the URL `file` has when it runs unbundled (its `tsc` output for the app's own sources). */
async function unbundledUrl(file) {
  const { dir, pkg } = await packageOf(file);
  if (dir === appDir) {
    // src/x/y.ts runs as dist/x/y.js; the bundle runs from dist/bundle/.
    const out = join(appDir, 'dist', relative(join(appDir, 'src'), file)).replace(/\.ts$/, '.js');
    return `new URL(${JSON.stringify(posix(relative(outdir, out)))}, import.meta.url).href`;
  }
  // A workspace package's dist file: relative to the package's main entry, which the app resolves by name.
  const main = resolve(dir, typeof pkg.exports?.['.'] === 'object' ? pkg.exports['.'].default : 'index.js');
  const rel = posix(relative(dirname(main), file));
  return `new URL(${JSON.stringify(rel.startsWith('.') ? rel : `./${rel}`)}, import.meta.resolve(${JSON.stringify(pkg.name)})).href`;
}

const keepFileUrls = {
  name: 'keep-file-urls',
  setup(b) {
    b.onLoad({ filter: /\.(?:ts|js|mjs)$/ }, async (args) => {
      if (args.path.includes(`${sep}node_modules${sep}`) || !args.path.startsWith(repoRoot)) return undefined;
      const source = await readFile(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return undefined;
      const url = await unbundledUrl(args.path);
      // A module-level `createRequire(import.meta.url)` is for modules loaded on first use (native zstd, blake3):
      // resolve the package only then, not while the chunk loads.
      const lazyRequire = `((r) => Object.assign((id) => (r ??= createRequire(${url}))(id), { resolve: (id, o) => (r ??= createRequire(${url})).resolve(id, o) }))()`;
      return {
        contents: source
          .replaceAll('createRequire(import.meta.url)', lazyRequire)
          .replaceAll('import.meta.url', `(${url})`),
        loader: args.path.endsWith('.ts') ? 'ts' : 'js',
        resolveDir: dirname(args.path),
      };
    });
  },
};

/** Is `file` CommonJS to Node (a .cjs file, or a .js file whose package is not "type": "module")? */
async function isCommonJs(file) {
  if (file.endsWith('.cjs')) return true;
  if (!file.endsWith('.js')) return false;
  return (await packageOf(file)).pkg.type !== 'module';
}

// An ES module that imports a CommonJS package gets the names Node gives it (Node reads them with its CommonJS
// lexer); esbuild, splitting a dynamic import() of such a package into a chunk, would give only `default`, so
// `const { extract } = await import('tar-stream')` would break. A small facade module exports the same names Node
// does, read by importing the package here once.
const commonJsFacades = {
  name: 'commonjs-facades',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData === 'facade' || args.path.startsWith('node:')) return undefined;
      if (args.kind !== 'import-statement' && args.kind !== 'dynamic-import') return undefined;
      if (args.importer.includes(`${sep}node_modules${sep}`)) return undefined;
      const resolved = await b.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        importer: args.importer,
        pluginData: 'facade',
      });
      if (resolved.errors.length > 0 || resolved.external || !(await isCommonJs(resolved.path)))
        return undefined;
      return { path: resolved.path, namespace: 'commonjs-facade' };
    });
    b.onLoad({ filter: /.*/, namespace: 'commonjs-facade' }, async (args) => {
      const names = Object.keys(await import(pathToFileURL(args.path).href)).filter(
        (n) => n !== 'default' && n !== '__esModule' && /^[A-Za-z_$][\w$]*$/.test(n),
      );
      return {
        // require(), not `import m from`: Node's default export is module.exports even when the package sets
        // `exports.__esModule` (fastest-levenshtein does), where esbuild's import interop would give exports.default.
        contents: `const m = require(${JSON.stringify(args.path)});\nexport default m;\nexport const { ${names.join(', ')} } = m;\n`,
        resolveDir: dirname(args.path),
        loader: 'js',
      };
    });
  },
};

await rm(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: appDir,
  entryPoints: entries,
  outdir,
  entryNames: '[name]',
  chunkNames: '[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // CommonJS dependencies (tar-stream and its helpers) require Node's built-ins: give the chunks a real `require`.
  banner: {
    js: "import { createRequire as __bundleCreateRequire } from 'node:module'; const require = __bundleCreateRequire(import.meta.url);",
  },
  sourcemap: 'linked',
  sourcesContent: false,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
  plugins: [keepFileUrls, commonJsFacades],
});
// What went into which chunk: `esbuild --analyze`-style questions (what does `lading inspect` load?) start here.
await writeFile(join(appDir, 'dist', 'bundle-meta.json'), JSON.stringify(result.metafile));
const outputs = Object.entries(result.metafile.outputs).filter(([f]) => f.endsWith('.js'));
const bytes = outputs.reduce((n, [, o]) => n + o.bytes, 0);
process.stdout.write(
  `bundle: ${posix(relative(appDir, outdir))}: ${outputs.length} files, ${(bytes / 1024).toFixed(0)} KiB\n`,
);
