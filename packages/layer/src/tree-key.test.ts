// The layer cache key split into units walked by two threads: the same key however the units are shared out.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, type TempDir } from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TreeKeyOptions, treeMetadataKey } from './tree-key.js';

let tmp: TempDir;
beforeAll(async () => {
  tmp = await makeTempDir('lading-tree-key-');
});
afterAll(async () => {
  await tmp.cleanup();
});

/** `srv/app/` over 3 directories of 12 packages each: the units are the 36 packages, at the deepest unit depth. */
function makeTree(name: string): string {
  const root = join(tmp.path, name);
  for (let s = 0; s < 3; s++) {
    for (let p = 0; p < 12; p++) {
      const dir = join(root, 'srv', 'app', `scope${s}`, `pkg${p}`, 'lib');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'index.js'), `module.exports = ${p};`);
      writeFileSync(join(dir, 'é.js'), '');
      symlinkSync('index.js', join(dir, 'main.js'));
    }
  }
  writeFileSync(join(root, 'srv', 'app', 'package.json'), '{}');
  return root;
}

function keyWith(root: string, options: TreeKeyOptions, exclude: string[] = []) {
  let units = { total: -1, byWorker: -1 };
  const key = treeMetadataKey(root, { exclude }, { level: 1 }, { ...options, onUnits: (u) => (units = u) });
  return { key, units };
}

describe('tree key walked by two threads', () => {
  it('is the same key on one thread, shared, and all in the worker', () => {
    const root = makeTree('same');
    const one = keyWith(root, { threads: 1 });
    const worker = keyWith(root, { threads: 2, share: 'worker' });
    const shared = keyWith(root, { threads: 2 });
    expect(one.units).toEqual({ total: 36, byWorker: 0 });
    expect(worker.units).toEqual({ total: 36, byWorker: 36 });
    expect(worker.key).toBe(one.key);
    expect(shared.key).toBe(one.key);
    // The general walk (include patterns) splits its list the same way.
    expect(treeMetadataKey(root, { include: ['**'] }, { level: 1 })).toBe(one.key);
  });

  it('sees a change deep inside a unit the worker walked, and not one under an excluded path', () => {
    const root = makeTree('changed');
    const before = keyWith(root, { threads: 2, share: 'worker' }).key;
    const excludedBefore = keyWith(root, { threads: 2, share: 'worker' }, ['srv/app/scope2/pkg7']).key;
    writeFileSync(join(root, 'srv', 'app', 'scope2', 'pkg7', 'lib', 'new.js'), '');
    const after = keyWith(root, { threads: 2, share: 'worker' });
    expect(after.units.byWorker).toBe(36);
    expect(after.key).not.toBe(before);
    expect(after.key).toBe(keyWith(root, { threads: 1 }).key);
    expect(keyWith(root, { threads: 2, share: 'worker' }, ['srv/app/scope2/pkg7']).key).toBe(excludedBefore);
  });

  it('keeps a small tree on one thread', () => {
    const root = join(tmp.path, 'small');
    mkdirSync(join(root, 'a', 'b'), { recursive: true });
    writeFileSync(join(root, 'a', 'b', 'f'), 'x');
    const { units } = keyWith(root, {});
    expect(units.byWorker).toBe(0);
  });
});
