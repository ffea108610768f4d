import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir, runReadmeExample } from '@lading/testkit';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

describe('README example', () => {
  it('compiles and runs, and leaves a layout whose index names the manifest it printed', async () => {
    await using tmp = await makeTempDir('lading-readme-');
    const { stdout } = await runReadmeExample(packageDir, { cwd: tmp.path });
    // The example prints the manifest it wrote: re-hash the layout's copy of it, independently of the store.
    const index = JSON.parse(await readFile(join(tmp.path, 'out/layout/index.json'), 'utf8'));
    const entry = index.manifests.find(
      (m: { annotations?: Record<string, string> }) =>
        m.annotations?.['org.opencontainers.image.ref.name'] === 'v1',
    );
    const [alg, hex] = (entry.digest as string).split(':') as [string, string];
    const bytes = await readFile(join(tmp.path, 'out/layout/blobs', alg, hex));
    expect(`sha256:${createHash('sha256').update(bytes).digest('hex')}`).toBe(entry.digest);
    expect(stdout).toContain("mediaType: 'application/vnd.oci.image.manifest.v1+json'");
  });
});
