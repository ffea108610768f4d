// issue 19 item 7: `lading-buildah from` reports its pull as buildah does when stderr is no terminal: a line per
// blob (`Copying blob sha256:…`, and `skipped: already exists` for what local storage has), with -q nothing. The
// blobs expected are skopeo's view of the image in the registry.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { havePeers, makeTempDir, run, startRegistry, type TempDir } from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ladingBuildah, lb } from './helpers.js';

describe.runIf(havePeers('skopeo', 'docker-registry'))('progress of lading-buildah from', () => {
  let dir: TempDir;
  let registry: Awaited<ReturnType<typeof startRegistry>>;
  let image: string;
  let blobs: string[];
  let config: string;
  const layout = () => join(dir.path, 'layout');

  beforeAll(async () => {
    dir = await makeTempDir('lading-buildah-from-progress-');
    registry = await startRegistry();
    const root = join(dir.path, 'build-root');
    const c = await lb(root, ['from', 'scratch']);
    await writeFile(join(dir.path, 'hello.txt'), 'hello\n');
    await lb(root, ['copy', c, join(dir.path, 'hello.txt'), '/hello.txt']);
    await lb(root, ['commit', '-q', c, `oci:${layout()}:1`]);
    image = `${registry.host}/progress/from:1`;
    await run('skopeo', ['copy', '-q', '--dest-tls-verify=false', `oci:${layout()}:1`, `docker://${image}`]);
    const manifest = JSON.parse(
      (await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${image}`])).stdout,
    );
    config = manifest.config.digest;
    blobs = [config, ...manifest.layers.map((l: { digest: string }) => l.digest)];
  }, 60_000);
  afterAll(async () => {
    await registry?.stop();
    await dir?.cleanup();
  });

  it('from docker://: a line per blob, then skipped: already exists when local storage has them; -q is silent', async () => {
    const root = join(dir.path, 'root');
    const first = await ladingBuildah(root, ['from', '--tls-verify=false', `docker://${image}`]);
    expect(first.code).toBe(0);
    const lines = first.stderr.trimEnd().split('\n');
    expect(lines.slice(0, 2)).toEqual([`Trying to pull ${image}...`, 'Getting image source signatures']);
    expect(lines.slice(2, -1).sort()).toEqual(blobs.map((b) => `Copying blob ${b}`).sort());
    expect(lines.at(-1)).toBe('Writing manifest to image destination');
    expect(first.stdout).toBe('from-working-container\n');

    const again = await ladingBuildah(root, [
      'from',
      '--pull=always',
      '--tls-verify=false',
      `docker://${image}`,
    ]);
    expect(again.code).toBe(0);
    for (const b of blobs) expect(again.stderr).toContain(`Copying blob ${b} skipped: already exists\n`);

    const quiet = await ladingBuildah(join(dir.path, 'quiet'), [
      'from',
      '-q',
      '--tls-verify=false',
      `docker://${image}`,
    ]);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
  });

  it('from oci:DIR: a line per layer and one for the config', async () => {
    const r = await ladingBuildah(join(dir.path, 'root-oci'), ['from', `oci:${layout()}:1`]);
    expect(r.code).toBe(0);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe('Getting image source signatures');
    // the layout's own blobs (skopeo compressed the layer on its way to the registry)
    const manifest = JSON.parse((await run('skopeo', ['inspect', '--raw', `oci:${layout()}:1`])).stdout);
    expect(lines.slice(1, -1).sort()).toEqual(
      [
        `Copying config ${manifest.config.digest}`,
        ...manifest.layers.map((l: { digest: string }) => `Copying blob ${l.digest}`),
      ].sort(),
    );
    expect(lines.at(-1)).toBe('Writing manifest to image destination');
  });
});
