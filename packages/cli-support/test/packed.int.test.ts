// The package as npm users get it: `pnpm pack` of it and of the workspace package it depends on (workspace:^ becomes
// a version range there), installed with npm into an empty project, and its README example run in that project.
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir, run, runReadmeExample } from '@lading/testkit';
import { describe, expect, it } from 'vitest';

const packagesDir = fileURLToPath(new URL('../..', import.meta.url));

describe('the packed package', () => {
  it('installs into an empty npm project, ships no build leftovers, and its README example runs there', async () => {
    await using tmp = await makeTempDir('lading-packed-');
    for (const p of ['digest', 'cli-support']) {
      await run('npx', ['-y', 'pnpm@10.34.9', 'pack', '--pack-destination', tmp.path], {
        cwd: join(packagesDir, p),
      });
    }
    const tarballs = (await readdir(tmp.path)).filter((f) => f.endsWith('.tgz')).sort();
    expect(tarballs).toEqual(['lading-cli-support-0.1.0.tgz', 'lading-digest-0.1.0.tgz']);
    for (const t of tarballs) {
      const files = (await run('tar', ['-tzf', join(tmp.path, t)])).stdout.split('\n');
      expect(files).toContain('package/README.md');
      expect(files).toContain('package/LICENSE');
      expect(files.filter((f) => /\.tsbuildinfo$|\.map$|\.test\./.test(f))).toEqual([]);
    }
    const project = join(tmp.path, 'project');
    await mkdir(project);
    await writeFile(join(project, 'package.json'), '{"name":"user","private":true,"type":"module"}\n');
    await run('npm', ['install', '--no-audit', '--no-fund', ...tarballs.map((t) => join(tmp.path, t))], {
      cwd: project,
    });
    await copyFile(join(packagesDir, 'cli-support', 'README.md'), join(project, 'README.md'));
    const { stdout } = await runReadmeExample(project, { cwd: project });
    expect(stdout).toBe('lading: unknown flag: --tga (did you mean --tag?)\n');
  }, 120_000);
});
