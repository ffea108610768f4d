import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { makeTempDir, runReadmeExample } from '@lading/testkit';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

describe('README example', () => {
  it('compiles and runs: the name finds its manifest, and the image ID is the sha256 of the config', async () => {
    await using tmp = await makeTempDir('lading-readme-');
    const { stdout } = await runReadmeExample(packageDir, { cwd: tmp.path });
    const config = '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}';
    const configDigest = `sha256:${createHash('sha256').update(config).digest('hex')}`;
    const [manifestDigest, id] = stdout.trim().split(' ');
    expect(manifestDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(manifestDigest).not.toBe(configDigest);
    expect(id).toBe(configDigest);
  });
});
