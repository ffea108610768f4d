// The packages as npm users get them: `pnpm pack` of every package and app that is not private (workspace:^ becomes a
// version range there), all the tarballs installed together with npm into an empty project, and each README
// example run in that project against the same inputs and peers as the package's own doc test.
import { readdirSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mapLimit } from '@lading/digest';
import {
  firstTsBlock,
  havePeers,
  makeTempDir,
  prepareReadmeExample,
  readmePeers,
  run,
  runReadmeExample,
} from '@lading/testkit';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));

interface Published {
  readonly short: string;
  readonly dir: string;
  readonly name: string;
  readonly version: string;
  readonly exports: Record<string, { types?: string; default?: string }>;
  readonly bin: Record<string, string>;
  readonly hasExample: boolean;
}

const published: Published[] = ['packages', 'apps'].flatMap((kind) =>
  readdirSync(join(root, kind), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => {
      const dir = join(root, kind, d.name);
      let pkg: Record<string, unknown>;
      try {
        pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      } catch {
        return [];
      }
      if (pkg.private === true) return [];
      let hasExample = true;
      try {
        firstTsBlock(readFileSync(join(dir, 'README.md'), 'utf8'));
      } catch {
        hasExample = false;
      }
      return [
        {
          short: d.name,
          dir,
          name: pkg.name as string,
          version: pkg.version as string,
          exports: (pkg.exports ?? {}) as Published['exports'],
          bin: (pkg.bin ?? {}) as Record<string, string>,
          hasExample,
        },
      ];
    }),
);

const tarballName = (p: Published) => `${p.name.slice(1).replace('/', '-')}-${p.version}.tgz`;

/** What a README example prints, where the package's doc test pins it (the rest must exit 0). */
const printed: Record<string, RegExp> = {
  'cli-support': /^lading: unknown flag: --tga \(did you mean --tag\?\)\n$/,
  digest: /^sha256:[0-9a-f]{64} (\d+) \1\n/,
  sign: /^verified\n$/,
  sbom: /pkg:npm\/left-pad@1\.3\.0/,
  layer: /^sha256:[0-9a-f]{64} sha256:[0-9a-f]{64}\n$/,
  transports: /^sha256:[0-9a-f]{64}\n$/,
};

/** Checks one tarball's file list (and its source maps' sources); returns the problems found. */
async function tarballProblems(file: string, p: Published): Promise<string[]> {
  const files = (await run('tar', ['-tzf', file])).stdout.split('\n').filter(Boolean);
  const has = new Set(files);
  const problems: string[] = [];
  for (const must of ['package/package.json', 'package/README.md', 'package/LICENSE'])
    if (!has.has(must)) problems.push(`${p.name}: no ${must}`);
  for (const f of files) {
    if (/\.tsbuildinfo$|\.test\./.test(f)) problems.push(`${p.name}: ships ${f}`);
    if (!f.endsWith('.map')) continue;
    // A map is fine only if what it maps back to is in the tarball (or inside the map).
    const map = JSON.parse((await run('tar', ['-xzOf', file, f])).stdout) as {
      sources: string[];
      sourcesContent?: (string | null)[];
    };
    map.sources.forEach((s, i) => {
      const source = posix.normalize(posix.join(posix.dirname(f), s));
      if (!has.has(source) && typeof map.sourcesContent?.[i] !== 'string')
        problems.push(`${p.name}: ${f} maps to ${s}, which it does not ship`);
    });
  }
  const targets = [
    ...Object.values(p.exports).flatMap((e) => [e.types, e.default]),
    ...Object.values(p.bin),
  ].filter((t): t is string => t !== undefined);
  for (const t of targets)
    if (!has.has(posix.join('package', t))) problems.push(`${p.name}: ${t} is exported but not shipped`);
  return problems;
}

describe('the packed packages', () => {
  it('install together into an empty npm project, ship no build leftovers, and their README examples run there', async () => {
    expect(published.map((p) => p.short)).toEqual(expect.arrayContaining(['digest', 'push', 'exporter']));
    await using tmp = await makeTempDir('lading-packed-');
    const packs = join(tmp.path, 'packs');
    // One pnpm for all of them (it packs in parallel and rewrites workspace:^ in each manifest).
    await run(
      'npx',
      [
        '-y',
        'pnpm@10.34.9',
        '--recursive',
        ...published.flatMap((p) => ['--filter', p.name]),
        'pack',
        '--pack-destination',
        packs,
      ],
      { cwd: root },
    );
    const tarballs = published.map((p) => join(packs, tarballName(p)));
    const problems = (
      await mapLimit(published, 4, (p) => tarballProblems(join(packs, tarballName(p)), p))
    ).flat();
    expect(problems).toEqual([]);

    const project = join(tmp.path, 'project');
    await mkdir(project);
    await writeFile(join(project, 'package.json'), '{"name":"user","private":true,"type":"module"}\n');
    // The lading packages come from the tarballs alone (each range is met by the tarball beside it); their
    // dependencies from npm's cache, else the registry.
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs], {
      cwd: project,
    });
    // Every @lading package in the tree is one of the tarballs (none nested, none fetched from a registry).
    const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { resolved?: string }>;
    };
    const lading = Object.entries(lock.packages).filter(([path]) => path.includes('node_modules/@lading/'));
    expect(lading.map(([path]) => path).sort()).toEqual(
      published.map((p) => `node_modules/${p.name}`).sort(),
    );
    for (const [, entry] of lading) expect(entry.resolved).toMatch(/^file:/);

    // The bins, from node_modules/.bin, each with the version of the package that ships it.
    for (const p of published) {
      for (const bin of Object.keys(p.bin)) {
        const { stdout } = await run(join(project, 'node_modules', '.bin', bin), ['--version']);
        expect(stdout).toContain(p.version);
      }
    }

    const examples = published.filter((p) => p.hasExample && havePeers(...(readmePeers[p.short] ?? [])));
    expect(examples.length).toBeGreaterThanOrEqual(
      published.filter((p) => p.hasExample && readmePeers[p.short] === undefined).length,
    );
    const ran = await mapLimit(examples, 4, async (p) => {
      // The README beside the project's node_modules: its imports resolve to the installed packages only.
      const exampleDir = join(project, 'examples', p.short);
      const cwd = join(tmp.path, 'run', p.short);
      await mkdir(exampleDir, { recursive: true });
      await mkdir(cwd, { recursive: true });
      await copyFile(join(p.dir, 'README.md'), join(exampleDir, 'README.md'));
      await using setup = await prepareReadmeExample(p.short, cwd);
      const { stdout } = await runReadmeExample(exampleDir, { cwd, env: setup.env });
      process.stderr.write(`README example of ${p.name}: ran\n`);
      return { short: p.short, stdout };
    });
    for (const { short, stdout } of ran) {
      const want = printed[short];
      if (want) expect({ short, stdout }).toEqual({ short, stdout: expect.stringMatching(want) });
    }
  }, 150_000);
});
