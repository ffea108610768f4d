import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir, runReadmeExample } from '@lading/testkit';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

describe('README example', () => {
  it('compiles and runs over ./app, and finds the npm package installed there', async () => {
    await using tmp = await makeTempDir('lading-readme-');
    const pkg = join(tmp.path, 'app', 'node_modules', 'left-pad');
    await mkdir(pkg, { recursive: true });
    await writeFile(join(pkg, 'package.json'), JSON.stringify({ name: 'left-pad', version: '1.3.0' }));
    const { stdout } = await runReadmeExample(packageDir, { cwd: tmp.path });
    expect(stdout).toMatch(/^sha256:[0-9a-f]{64} /);
    expect(stdout).toContain('pkg:npm/left-pad@1.3.0');
  });
});
