#!/usr/bin/env node
// Adds up the vitest JSON reports of every workspace package and prints one closing line.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
let passed = 0;
let failed = 0;
let skipped = 0;
const perPackage = [];
for (const kind of ['packages', 'apps', 'tools']) {
  const base = join(root, kind);
  if (!existsSync(base)) continue;
  for (const d of readdirSync(base).sort()) {
    const file = join(base, d, 'test-results.json');
    if (!existsSync(file)) continue;
    const r = JSON.parse(readFileSync(file, 'utf8'));
    passed += r.numPassedTests ?? 0;
    failed += r.numFailedTests ?? 0;
    skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    perPackage.push(
      `${kind}/${d}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`,
    );
  }
}
console.log(perPackage.join('\n'));
if (skipped > 0)
  console.log(
    `${skipped} test(s) skipped: cases that do not apply to a mode, or (outside CI) whose peers are missing: see any SKIPPING lines above`,
  );
console.log(`Tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
