import { fileURLToPath } from 'node:url';
import { makeTempDir, prepareReadmeExample, runReadmeExample } from '@lading/testkit';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

describe('README example', () => {
  it('compiles and runs over ./app, and finds the npm package installed there', async () => {
    await using tmp = await makeTempDir('lading-readme-');
    await using setup = await prepareReadmeExample('sbom', tmp.path); // ./app/node_modules/left-pad, 1.3.0
    const { stdout } = await runReadmeExample(packageDir, { cwd: tmp.path, env: setup.env });
    expect(stdout).toMatch(/^sha256:[0-9a-f]{64} /);
    expect(stdout).toContain('pkg:npm/left-pad@1.3.0');
  });
});
