#!/usr/bin/env node
// Fails when shipped package sources hold a copied block (jscpd, tests excluded): an idea written twice belongs in
// the package that owns it (ARCHITECTURE.md); or a source file longer than `maxLines`, which holds more than one
// concept. Scoped to `packages/*/src` without the private testkit, and to `apps/*/src`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
/** Smallest clone reported, in tokens: about ten lines of code; below it, shared shapes (an options object) match. */
const minTokens = 70;
/** Longest shipped source file, in lines. */
const maxLines = 450;

const dirs = [
  ...readdirSync(join(root, 'packages'))
    .filter((d) => d !== 'testkit')
    .map((d) => join('packages', d, 'src')),
  ...readdirSync(join(root, 'apps')).map((d) => join('apps', d, 'src')),
];
const sources = (dir) =>
  readdirSync(join(root, dir), { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => join(dir, f));
const long = dirs
  .flatMap(sources)
  .map((f) => ({ f, lines: readFileSync(join(root, f), 'utf8').split('\n').length - 1 }))
  .filter(({ lines }) => lines > maxLines);
if (long.length > 0) {
  for (const { f, lines } of long) console.error(`long: ${f} has ${lines} lines (at most ${maxLines})`);
  console.error(
    `check-copies: ${long.length} source file(s) over ${maxLines} lines; split each into its concepts`,
  );
  process.exit(1);
}
const out = mkdtempSync(join(tmpdir(), 'lading-copies-'));
try {
  const jscpd = join(root, 'node_modules', '.bin', 'jscpd');
  const run = spawnSync(
    jscpd,
    [
      ...dirs,
      '--format',
      'typescript',
      '--ignore',
      '**/*.test.ts,**/*.fuzz.test.ts,**/node_modules/**,**/dist/**',
      '--min-tokens',
      String(minTokens),
      '--reporters',
      'json',
      '--output',
      out,
      '--absolute',
      '--silent',
    ],
    { cwd: root, encoding: 'utf8' },
  );
  if (run.status !== 0) {
    process.stderr.write(run.stderr || run.stdout || `jscpd exited with ${run.status}\n`);
    process.exit(1);
  }
  const report = JSON.parse(readFileSync(join(out, 'jscpd-report.json'), 'utf8'));
  const clones = report.duplicates ?? [];
  if (clones.length > 0) {
    for (const c of clones) {
      const at = (f) => `${relative(root, f.name)}:${f.start}-${f.end}`;
      console.error(`copy: ${at(c.firstFile)} = ${at(c.secondFile)} (${c.lines} lines, ${c.tokens} tokens)`);
    }
    console.error(
      `check-copies: ${clones.length} copied block(s) in packages/*/src and apps/*/src; give each idea one home`,
    );
    process.exit(1);
  }
  console.log(
    `check-copies: no copied block of ${minTokens} tokens or more and no file over ${maxLines} lines in ${dirs.length} packages and apps`,
  );
} finally {
  rmSync(out, { recursive: true, force: true });
}
