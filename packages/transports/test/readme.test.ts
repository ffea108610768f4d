import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { havePeers, makeTempDir, prepareReadmeExample, readmePeers, runReadmeExample } from '@lading/testkit';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe.runIf(havePeers(...(readmePeers.transports ?? [])))('README example', () => {
  it('compiles and runs: a docker save archive becomes a dir: image with the same config and layer', async () => {
    await using tmp = await makeTempDir('lading-readme-');
    await using setup = await prepareReadmeExample('transports', tmp.path);
    const { stdout } = await runReadmeExample(packageDir, { cwd: tmp.path, env: setup.env });
    // dir: is skopeo's layout: manifest.json, version, and each blob under its hex.
    const dir = join(tmp.path, 'app-dir');
    const manifestBytes = await readFile(join(dir, 'manifest.json'));
    expect(stdout).toBe(`${sha256(manifestBytes)}\n`);
    const manifest = JSON.parse(manifestBytes.toString('utf8'));
    expect(manifest.config.digest).toBe(setup.digests.config);
    expect(manifest.layers).toHaveLength(1);
    expect(manifest.layers[0].digest).toBe(setup.digests.diffId); // the archive's tar, stored unchanged
    const layerHex = (manifest.layers[0].digest as string).slice('sha256:'.length);
    expect(sha256(await readFile(join(dir, layerHex)))).toBe(manifest.layers[0].digest);
    expect(await readFile(join(dir, 'version'), 'utf8')).toBe('Directory Transport Version: 1.1\n');
    expect((await readdir(dir)).sort()).toEqual(
      [layerHex, setup.digests.config?.slice('sha256:'.length), 'manifest.json', 'version'].sort(),
    );
  });
});
