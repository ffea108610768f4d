import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir, prepareReadmeExample, runReadmeExample } from '@lading/testkit';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

describe('README example', () => {
  it('compiles and runs: hashes ./layer.tar.gz as node:crypto does, then verifies every byte of it', async () => {
    await using tmp = await makeTempDir('lading-readme-');
    await using setup = await prepareReadmeExample('digest', tmp.path);
    const { stdout } = await runReadmeExample(packageDir, { cwd: tmp.path, env: setup.env });
    const bytes = await readFile(join(tmp.path, 'layer.tar.gz'));
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    expect(stdout).toBe(
      `${digest} ${bytes.length} ${bytes.length}\n` +
        "{ architecture: 'arm64', os: 'linux' }\n" +
        'application/vnd.oci.image.layer.v1.tar+gzip\n',
    );
  });
});
