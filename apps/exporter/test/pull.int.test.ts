// `lading copy docker://... oci:DIR:TAG` pulls straight into the destination layout, as skopeo does: each blob is
// downloaded and written once (the lading store is not a stop on the way), the layout reads back in skopeo and umoci,
// and progress names every blob. Expectations come from skopeo's view of the registry.
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { havePeers, makeTempDir, run, startRegistry, type TempDir } from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helloRootfs, lading } from './helpers.js';

describe.runIf(havePeers('umoci', 'skopeo', 'docker-registry'))('lading copy docker:// into oci:', () => {
  let dir: TempDir;
  let registry: Awaited<ReturnType<typeof startRegistry>>;
  let source: string;
  let layers: { digest: string; size: number }[];

  beforeAll(async () => {
    dir = await makeTempDir('lading-exporter-pull-');
    registry = await startRegistry();
    // three layers written by umoci, pushed by skopeo
    const base = join(dir.path, 'umoci');
    await run('umoci', ['init', '--layout', base]);
    await run('umoci', ['new', '--image', `${base}:b`]);
    const opt = join(dir.path, 'opt');
    await mkdir(opt);
    await writeFile(join(opt, 'app.txt'), 'a third layer\n');
    for (const [from, to] of [
      [join(helloRootfs, 'etc'), '/etc'],
      [join(helloRootfs, 'usr'), '/usr'],
      [opt, '/opt'],
    ] as const) {
      await run('umoci', ['insert', '--image', `${base}:b`, from, to]);
    }
    source = `${registry.host}/lading/pulled:1`;
    await run('skopeo', [
      'copy',
      '--quiet',
      '--dest-tls-verify=false',
      `oci:${base}:b`,
      `docker://${source}`,
    ]);
    const raw = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${source}`]);
    layers = JSON.parse(raw.stdout).layers;
    expect(layers.length).toBe(3);
  }, 60_000);
  afterAll(async () => {
    await registry?.stop();
    await dir?.cleanup();
  });

  it('writes each blob once, into the layout; skopeo verifies every digest and umoci unpacks it', async () => {
    const layout = join(dir.path, 'out');
    const store = join(dir.path, 'store');
    const r = await lading(['copy', `docker://${source}`, `oci:${layout}:1`, '--insecure'], {
      cwd: dir.path,
      env: { LADING_STORE: store },
    });
    expect(r.stderr).not.toContain('Error');
    expect(r.code).toBe(0);
    // one progress line per blob, when it is done
    for (const l of layers) expect(r.stderr).toContain(`${l.digest}: downloaded (${l.size} bytes)`);
    // nothing went through the lading store
    expect(await readdir(join(store, 'blobs', 'sha256')).catch(() => [])).toEqual([]);
    // skopeo reads every blob of the layout and checks its digest; umoci checks diff IDs while unpacking
    await run('skopeo', ['copy', '--quiet', `oci:${layout}:1`, `dir:${join(dir.path, 'check')}`]);
    await run('umoci', ['unpack', '--rootless', '--image', `${layout}:1`, join(dir.path, 'bundle')]);
    expect((await readdir(join(dir.path, 'bundle', 'rootfs'))).sort()).toEqual(['etc', 'opt', 'usr']);
    expect(await readdir(join(layout, 'ingest'))).toEqual([]);
  }, 60_000);

  it('a second copy into the same layout downloads nothing', async () => {
    const layout = join(dir.path, 'again');
    const args = ['copy', `docker://${source}`, `oci:${layout}:1`, '--insecure'];
    const env = { LADING_STORE: join(dir.path, 'store2') };
    await lading(args, { cwd: dir.path, env });
    const second = await lading(args, { cwd: dir.path, env });
    expect(second.code).toBe(0);
    // what the layout already holds is marked CACHED, as BuildKit marks cache hits
    for (const l of layers) expect(second.stderr).toContain(`${l.digest}: CACHED`);
    expect(second.stderr).not.toContain('downloaded');
  }, 60_000);

  it('needs a tag for the layout before anything is pulled', async () => {
    const r = await lading(['copy', `docker://${source}`, `oci:${join(dir.path, 'notag')}`, '--insecure'], {
      cwd: dir.path,
      env: { LADING_STORE: join(dir.path, 'store3') },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('needs a tag');
    expect(r.stderr).not.toContain('pulling');
  });
});
