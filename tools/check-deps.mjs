#!/usr/bin/env node
// Fails when ARCHITECTURE.md's "may import" column is not the `allowed` table below, when an import in shipped code
// breaks that package graph, when source code imports a package it does not
// declare, reaches into a path another package does not export, or production code imports the testkit.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));

/** Who may import whom (ARCHITECTURE.md, "Who owns what"). Entries name a package or `package/subpath`. */
const allowed = {
  digest: [],
  'cli-support': ['digest'],
  layer: ['digest', 'content-store'],
  'content-store': ['digest'],
  'image-config': ['digest'],
  manifest: ['content-store', 'digest'],
  'reference-store': ['manifest', 'content-store', 'digest'],
  'remote-cache': ['manifest', 'content-store', 'digest'],
  push: ['reference-store/reference', 'manifest', 'content-store', 'digest'],
  'docker-engine': ['layer', 'reference-store', 'manifest', 'content-store', 'digest'],
  containerd: ['layer', 'manifest', 'content-store', 'digest'],
  sign: ['push', 'reference-store/reference', 'manifest', 'content-store', 'digest'],
  sbom: ['layer', 'digest'],
  transports: [
    'push',
    'docker-engine',
    'layer',
    'reference-store/reference',
    'manifest',
    'content-store',
    'digest',
  ],
  testkit: ['digest', 'content-store'],
};
// `layer` writes into an Ingester, whose interface lives in content-store: the type-level edge is allowed.

/**
 * The "may import" column of ARCHITECTURE.md's "Who owns what" table, by package: `nothing` is none, otherwise a
 * comma-separated list of names (a `(the Ingester type)` remark is dropped). Undefined when there is no such table.
 */
function documentedGraph(markdown) {
  const section = markdown.split(/^## /m).find((s) => s.startsWith('Who owns what'));
  if (section === undefined) return undefined;
  const rows = section.split('\n').filter((l) => l.startsWith('|'));
  const header = (rows[0] ?? '').split('|').map((c) => c.trim());
  const column = header.indexOf('may import');
  if (column < 0) return undefined;
  const graph = {};
  for (const row of rows.slice(2)) {
    const cells = row.split('|').map((c) => c.trim());
    const name = /^`([^`]+)`/.exec(cells[1] ?? '')?.[1];
    if (name === undefined) continue;
    const cell = (cells[column] ?? '').replace(/\([^)]*\)/g, '').trim();
    graph[name] =
      cell === 'nothing'
        ? []
        : cell
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean);
  }
  return graph;
}

/** Where the documented graph and `allowed` disagree, one line each (empty when they are the same). */
function graphDrift(documented, table) {
  const out = [];
  for (const name of Object.keys(table)) {
    if (!(name in documented)) out.push(`${name}: in tools/check-deps.mjs, no row in ARCHITECTURE.md`);
  }
  for (const [name, entries] of Object.entries(documented)) {
    const rules = table[name];
    if (rules === undefined) {
      out.push(`${name}: a row in ARCHITECTURE.md, not in tools/check-deps.mjs`);
      continue;
    }
    const extra = entries.filter((e) => !rules.includes(e));
    const missing = rules.filter((e) => !entries.includes(e));
    if (extra.length > 0 || missing.length > 0) {
      out.push(
        `${name}: ARCHITECTURE.md says ${entries.join(', ') || 'nothing'}, tools/check-deps.mjs ${rules.join(', ') || 'nothing'}`,
      );
    }
  }
  return out;
}

function listDirs(dir) {
  try {
    return readdirSync(join(root, dir)).filter((d) => statSync(join(root, dir, d)).isDirectory());
  } catch {
    return [];
  }
}

function* sourceFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const p = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(p);
    else if (/\.(ts|mts|mjs|js|tsx)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) yield p;
  }
}

const workspace = new Map(); // short name -> { dir, pkg, kind }
for (const kind of ['packages', 'apps']) {
  for (const d of listDirs(kind)) {
    let pkg;
    try {
      pkg = JSON.parse(readFileSync(join(root, kind, d, 'package.json'), 'utf8'));
    } catch {
      continue;
    }
    workspace.set(d, { dir: join(root, kind, d), pkg, kind });
  }
}
const byName = new Map([...workspace].map(([short, w]) => [w.pkg.name, { short, ...w }]));

const problems = [];
const documented = documentedGraph(readFileSync(join(root, 'ARCHITECTURE.md'), 'utf8'));
if (documented === undefined)
  problems.push('ARCHITECTURE.md: no "Who owns what" table with a "may import" column');
else for (const d of graphDrift(documented, allowed)) problems.push(`package graph: ${d}`);
const importRe =
  /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;

for (const [short, w] of workspace) {
  const declared = new Set([
    ...Object.keys(w.pkg.dependencies ?? {}),
    ...Object.keys(w.pkg.devDependencies ?? {}),
    ...Object.keys(w.pkg.peerDependencies ?? {}),
    ...Object.keys(w.pkg.optionalDependencies ?? {}),
  ]);
  const srcDirs = ['src', 'test'].map((s) => join(w.dir, s));
  for (const srcDir of srcDirs) {
    let files;
    try {
      files = [...sourceFiles(srcDir)];
    } catch {
      continue;
    }
    for (const file of files) {
      const isTest = /\.test\.|(^|[/\\])test[/\\]|conformance/.test(relative(w.dir, file));
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(importRe)) {
        const spec = m[1] ?? m[2] ?? m[3];
        if (!spec.startsWith('@lading/')) continue;
        const [, , name, ...rest] = spec.match(/^(@lading\/([^/]+))(?:\/(.*))?$/) ?? [];
        const full = `@lading/${name}`;
        const sub = rest.filter(Boolean).join('/');
        const where = `${relative(root, file)}: ${spec}`;
        const target = byName.get(full);
        if (!target) {
          problems.push(`${where}: no workspace package ${full}`);
          continue;
        }
        if (!declared.has(full)) problems.push(`${where}: ${full} is not in ${w.pkg.name}'s package.json`);
        const exportKey = sub ? `./${sub}` : '.';
        if (!target.pkg.exports || !(exportKey in target.pkg.exports)) {
          problems.push(`${where}: ${full} does not export "${exportKey}" (no deep imports)`);
        }
        if (w.kind === 'packages' && target.kind === 'apps')
          problems.push(`${where}: packages never import apps`);
        if (target.short === 'testkit') {
          if (!isTest) problems.push(`${where}: only tests may import the testkit`);
          continue;
        }
        // The graph governs shipped code: a test may compose any packages it declares (e.g. a cache exported
        // through push's RegistryTarget), but packages still never import apps.
        if (w.kind === 'apps' || target.short === short || isTest) continue;
        const rules = allowed[short];
        if (!rules) {
          problems.push(
            `${where}: ${short} is not in the package graph (add it to tools/check-deps.mjs and ARCHITECTURE.md)`,
          );
          continue;
        }
        const ok = rules.includes(target.short) || (sub && rules.includes(`${target.short}/${sub}`));
        if (!ok)
          problems.push(
            `${where}: ${short} may not import ${spec} (allowed: ${rules.join(', ') || 'nothing'})`,
          );
      }
    }
  }
}

if (problems.length) {
  console.error(
    `check-deps: ${problems.length} import(s) break the package graph:\n  ${problems.join('\n  ')}`,
  );
  process.exit(1);
}
console.log(`check-deps: ${workspace.size} workspace packages follow the package graph`);
