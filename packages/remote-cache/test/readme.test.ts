import { fileURLToPath } from 'node:url';
import { makeTempDir, runReadmeExample } from '@lading/testkit';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

describe('README example', () => {
  it('compiles and runs: the cache manifest it exported is imported back in its image-manifest form', async () => {
    await using tmp = await makeTempDir('lading-readme-');
    const { stdout } = await runReadmeExample(packageDir, { cwd: tmp.path });
    expect(stdout).toMatch(/"digest":"sha256:[0-9a-f]{64}"/);
    expect(stdout).toContain('image-manifest');
    expect(stdout).toContain("mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip'");
  });
});
