import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { havePeers, makeTempDir, run } from '@lading/testkit';
import { describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../../..');
const script = join(repo, 'tools/demo/write-layout.mjs');
const rootfs = join(repo, 'examples/hello-rootfs');

describe.runIf(havePeers('skopeo', 'umoci'))("the README's first command", () => {
  it('writes an image layout that skopeo and umoci read, and a second run reuses the layer', async () => {
    await using dir = await makeTempDir('lading-demo-');
    const layout = join(dir.path, 'out');
    const first = spawnSync(process.execPath, [script, rootfs, layout, 'hello'], { encoding: 'utf8' });
    expect(first.status, first.stderr).toBe(0);
    const result = JSON.parse(first.stdout);

    const inspect = JSON.parse((await run('skopeo', ['inspect', `oci:${layout}:hello`])).stdout);
    expect(inspect.Digest).toBe(result.manifest);
    expect(inspect.Layers).toEqual([result.layer.digest]);
    await run('skopeo', ['copy', `oci:${layout}:hello`, `dir:${join(dir.path, 'copy')}`]);

    const bundle = join(dir.path, 'bundle');
    await run('umoci', ['unpack', '--rootless', '--image', `${layout}:hello`, bundle]);
    expect(await readFile(join(bundle, 'rootfs/usr/share/hello/greeting.txt'), 'utf8')).toBe(
      await readFile(join(rootfs, 'usr/share/hello/greeting.txt'), 'utf8'),
    );

    const second = spawnSync(process.execPath, [script, rootfs, layout, 'hello'], { encoding: 'utf8' });
    expect(second.status, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ layerFromCache: true, layer: result.layer });
  }, 60_000);

  it('fails with the bad-input exit code on a missing directory', async () => {
    await using dir = await makeTempDir('lading-demo-');
    const r = spawnSync(process.execPath, [script, join(dir.path, 'nope'), join(dir.path, 'out')], {
      encoding: 'utf8',
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/lading demo:/);
  });
});
