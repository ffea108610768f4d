import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createMemoryStore } from '@lading/content-store';
import { buildLayer } from '@lading/layer';
import { inCI, makeTempDir, run, type TempDir } from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  encodeSpdxDocument,
  LayerScanner,
  mergeLayerFindings,
  scanLayerTar,
  treeObserver,
} from '../src/index.js';
import { spdxSchemaErrors } from './spdx-schema.js';

// A real `npm install` (from the npm registry; with nested and scoped packages) is the input, `npm ls` the oracle.
let dir: TempDir;
let app: string;
let installed = false;
beforeAll(async () => {
  dir = await makeTempDir('lading-sbom-npm-');
  app = join(dir.path, 'app');
  await mkdir(app);
  await writeFile(join(app, 'package.json'), '{"name":"sbom-fixture","version":"1.0.0","private":true}\n');
  const r = await run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      'debug@2.6.9',
      'ms@2.1.3',
      'once@1.4.0',
      '@sindresorhus/is@4.6.0',
      'semver@7.5.4',
    ],
    { cwd: app, allowFailure: !inCI },
  );
  installed = r.code === 0;
  if (!installed) console.warn(`SKIPPING the npm SBOM test: npm install failed (no registry?):\n${r.stderr}`);
}, 180_000);
afterAll(async () => dir?.cleanup());

interface NpmLsNode {
  version?: string;
  license?: string;
  path?: string;
  dependencies?: Record<string, NpmLsNode>;
}

/** Every installed package `npm ls --all --long --json` shows: name, version, license, path, each once. */
async function npmLs(cwd: string): Promise<Set<string>> {
  const out = JSON.parse(
    (await run('npm', ['ls', '--all', '--long', '--json'], { cwd })).stdout,
  ) as NpmLsNode;
  const seen = new Set<string>();
  const walk = (n: NpmLsNode) => {
    for (const [name, d] of Object.entries(n.dependencies ?? {})) {
      seen.add(`${name}@${d.version} ${d.license} ${d.path?.slice(dir.path.length)}/package.json`);
      walk(d);
    }
  };
  walk(out);
  return seen;
}

describe('the SBOM of a real npm install', () => {
  it('found in the walk that builds the layer, it lists what npm ls lists (name, version, license, place)', async (ctx) => {
    if (!installed) ctx.skip();
    const store = createMemoryStore();
    const scanner = new LayerScanner();
    const observed = await buildLayer(app, store, { prefix: 'app', observe: treeObserver(scanner) });
    const inventory = mergeLayerFindings([scanner.findings()]);
    const npm = inventory.packages.filter((p) => p.ecosystem === 'npm');
    const ours = new Set(npm.map((p) => `${p.name}@${p.version} ${p.licenses.join(',')} ${p.foundIn}`));
    const oracle = await npmLs(app);
    expect(oracle.size).toBe(9);
    expect([...ours].sort()).toEqual([...oracle].sort());
    // Package URLs as the purl spec writes npm's (the scope's @ percent-encoded).
    for (const p of npm) {
      const [scope, name] = p.name.startsWith('@') ? p.name.split('/') : [undefined, p.name];
      const expected = `pkg:npm/${scope ? `${encodeURIComponent(scope)}/` : ''}${name}@${p.version}`;
      expect(p.purl).toBe(expected);
    }

    // Observing changes no byte of the layer.
    const plain = await buildLayer(app, createMemoryStore(), { prefix: 'app' });
    expect(plain.descriptor.digest).toBe(observed.descriptor.digest);

    // The same findings from the layer's tar, as a base image's layer is read.
    const fromTar = await scanLayerTar(store.read(observed.descriptor));
    expect(mergeLayerFindings([fromTar]).packages).toEqual(inventory.packages);

    // A valid SPDX 2.3 document naming each package with its purl.
    const doc = JSON.parse(
      new TextDecoder().decode(
        encodeSpdxDocument(inventory, { created: new Date(0), creators: ['Tool: lading-test'] }),
      ),
    );
    expect(spdxSchemaErrors(doc)).toEqual([]);
    expect(doc.spdxVersion).toBe('SPDX-2.3');
    const refs = doc.packages.map(
      (p: { externalRefs: { referenceLocator: string }[] }) => p.externalRefs[0]?.referenceLocator,
    );
    expect(refs.sort()).toEqual(npm.map((p) => p.purl).sort());
  });
});
