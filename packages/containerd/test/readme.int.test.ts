import { fileURLToPath } from 'node:url';
import {
  havePeers,
  hostArchitecture,
  makeTempDir,
  prepareReadmeExample,
  readmePeers,
  runReadmeExample,
} from '@lading/testkit';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

describe.runIf(havePeers(...(readmePeers.containerd ?? [])))('README example', () => {
  it('compiles and runs against containerd: ./out becomes docker.io/library/app:1, unpacked into overlayfs', async () => {
    await using tmp = await makeTempDir('lading-readme-');
    await using setup = await prepareReadmeExample('containerd', tmp.path);
    const containerd = setup.containerd;
    if (!containerd) throw new Error('no containerd');
    await runReadmeExample(packageDir, { cwd: tmp.path, env: setup.env });
    // containerd's own view, through ctr: the image record names the layout's root, and the one layer's snapshot
    // is committed under its chain ID (for a single layer, its diffID).
    const images = (await containerd.ctr(['images', 'ls'])).stdout;
    expect(images).toMatch(new RegExp(`^docker\\.io/library/app:1\\s.*${setup.digests.root}`, 'm'));
    const snapshots = (await containerd.ctr(['snapshots', '--snapshotter', 'overlayfs', 'ls'])).stdout;
    expect(snapshots).toMatch(
      new RegExp(`^${setup.digests[`diffid-${hostArchitecture()}`]}\\s+Committed`, 'm'),
    );
    const ran = await containerd.ctr(['run', '--rm', 'docker.io/library/app:1', 'readme-example']);
    expect(ran.stdout).toBe('hi\n');
  });
});
