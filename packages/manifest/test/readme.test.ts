import { fileURLToPath } from 'node:url';
import { makeTempDir, runReadmeExample } from '@lading/testkit';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

describe('README example', () => {
  it('compiles and runs, and selects the linux/amd64 manifest of the index it built', async () => {
    await using tmp = await makeTempDir('lading-readme-');
    const { stdout } = await runReadmeExample(packageDir, { cwd: tmp.path });
    expect(stdout).toContain("mediaType: 'application/vnd.oci.image.manifest.v1+json'");
    expect(stdout).toMatch(/digest: 'sha256:[0-9a-f]{64}'/);
  });
});
