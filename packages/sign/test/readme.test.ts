import { fileURLToPath } from 'node:url';
import { makeTempDir, runReadmeExample } from '@lading/testkit';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

describe('README example', () => {
  it('compiles and runs, and the signature it made verifies', async () => {
    await using tmp = await makeTempDir('lading-readme-');
    const { stdout } = await runReadmeExample(packageDir, { cwd: tmp.path });
    expect(stdout).toBe('verified\n');
  });
});
