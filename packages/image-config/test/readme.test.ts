import { fileURLToPath } from 'node:url';
import { makeTempDir, runReadmeExample } from '@lading/testkit';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

describe('README example', () => {
  it('compiles and runs, and prints an image ID', async () => {
    await using tmp = await makeTempDir('lading-readme-');
    const { stdout } = await runReadmeExample(packageDir, { cwd: tmp.path });
    expect(stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
  });
});
