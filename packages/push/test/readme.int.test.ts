import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { havePeers, makeTempDir, prepareReadmeExample, readmePeers, runReadmeExample } from '@lading/testkit';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

describe.runIf(havePeers(...(readmePeers.push ?? [])))('README example', () => {
  it('compiles and runs against a registry: the index of the layout is pushed, and its arm64 manifest pulled back', async () => {
    await using tmp = await makeTempDir('lading-readme-');
    await using setup = await prepareReadmeExample('push', tmp.path);
    const { stdout } = await runReadmeExample(packageDir, { cwd: tmp.path, env: setup.env });
    const { root, 'manifest-arm64': arm64 } = setup.digests;
    expect(stdout).toBe(`${setup.registry?.host}/team/app@${root}\n${arm64}\n`);
    // What the registry serves under the tag, hashed here.
    const res = await fetch(`${setup.registry?.url}/v2/team/app/manifests/1.0`, {
      headers: { accept: 'application/vnd.oci.image.index.v1+json' },
    });
    expect(res.status).toBe(200);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(`sha256:${createHash('sha256').update(bytes).digest('hex')}`).toBe(root);
  });
});
