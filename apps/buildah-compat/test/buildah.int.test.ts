import { link, lutimes, mkdir, readFile, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  havePeers,
  makeTempDir,
  type RunningRegistry,
  run,
  startRegistry,
  type TempDir,
} from '@lading/testkit';
import { treeContents } from '@lading/testkit/layer-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildah, layoutJson, lb, tarListing } from './helpers.js';

interface Layout {
  manifest: { layers: { digest: string; mediaType: string }[]; config: { digest: string } };
  config: Record<string, unknown> & { config: Record<string, unknown>; history?: Record<string, unknown>[] };
  manifestDigest: string;
}

async function readLayout(dir: string): Promise<Layout> {
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as {
    manifests: { digest: string }[];
  };
  const manifestDigest = index.manifests[0]?.digest as string;
  const manifest = await layoutJson<Layout['manifest']>(dir, manifestDigest);
  const config = await layoutJson<Layout['config']>(dir, manifest.config.digest);
  return { manifest, config, manifestDigest };
}

/** A config with the fields that name a moment or a builder removed: what must agree between builders. */
function comparable(config: Layout['config']): unknown {
  const { created: _c, ...rest } = config;
  return {
    ...rest,
    rootfs: { type: (config.rootfs as { type: string }).type },
    history: config.history?.map(({ created: _t, ...h }) => h),
  };
}

let tmp: TempDir;
let tree: string;
const pinned = new Date('2010-05-06T07:08:09Z');

beforeAll(async () => {
  tmp = await makeTempDir('lading-buildah-peers-');
  tree = join(tmp.path, 'tree');
  await mkdir(join(tree, 'bin'), { recursive: true });
  await mkdir(join(tree, 'etc', 'conf.d'), { recursive: true });
  await mkdir(join(tree, 'empty'), { recursive: true });
  await writeFile(join(tree, 'bin', 'tool'), '#!/bin/sh\necho tool\n', { mode: 0o755 });
  await writeFile(join(tree, 'etc', 'conf.d', 'a.conf'), 'a=1\n', { mode: 0o640 });
  await writeFile(join(tree, 'data.bin'), Buffer.alloc(300_000, 7));
  await link(join(tree, 'data.bin'), join(tree, 'data-hardlink.bin'));
  await symlink('bin/tool', join(tree, 'tool-link'));
  for (const p of ['bin/tool', 'etc/conf.d/a.conf', 'data.bin', 'bin', 'etc/conf.d', 'etc', 'empty', '.']) {
    await utimes(join(tree, p), pinned, pinned);
  }
  await lutimes(join(tree, 'tool-link'), pinned, pinned);
});
afterAll(async () => tmp?.cleanup());

describe.runIf(havePeers('buildah', 'umoci', 'skopeo', 'tar'))(
  'side by side with real buildah (vfs, chroot)',
  () => {
    it('from scratch + copy + config + commit --format oci oci:DIR: equal trees, configs equal but for times', async () => {
      const b = join(tmp.path, 'b1');
      const root = join(tmp.path, 'l1');
      const steps = (c: string) => [
        ['copy', c, tree, '/srv'],
        [
          'config',
          '--env',
          'A=1',
          '--cmd',
          'serve --port 80',
          '--workingdir',
          '/srv',
          '--label',
          'k=v',
          '--port',
          '80',
          c,
        ],
      ];
      const bc = await buildah(b, ['from', 'scratch']);
      for (const s of steps(bc)) await buildah(b, s);
      await buildah(b, [
        'commit',
        '-q',
        '--identity-label=false',
        '--format',
        'oci',
        bc,
        `oci:${join(tmp.path, 'b-oci')}:x`,
      ]);
      const lc = await lb(root, ['from', 'scratch']);
      for (const s of steps(lc)) await lb(root, s);
      await lb(root, [
        'commit',
        '-q',
        '--identity-label=false',
        '--format',
        'oci',
        lc,
        `oci:${join(tmp.path, 'l-oci')}:x`,
      ]);

      const theirs = await readLayout(join(tmp.path, 'b-oci'));
      const ours = await readLayout(join(tmp.path, 'l-oci'));
      expect(ours.manifest.layers.map((l) => l.mediaType)).toEqual(
        theirs.manifest.layers.map((l) => l.mediaType),
      );
      expect(comparable(ours.config)).toEqual(comparable(theirs.config));

      for (const [name, dir] of [
        ['b', 'b-oci'],
        ['l', 'l-oci'],
      ] as const) {
        await run('umoci', [
          'unpack',
          '--rootless',
          '--image',
          `${join(tmp.path, dir)}:x`,
          join(tmp.path, `${name}-bundle`),
        ]);
      }
      const ourTree = treeContents(join(tmp.path, 'l-bundle', 'rootfs'));
      expect(ourTree).toEqual(treeContents(join(tmp.path, 'b-bundle', 'rootfs')));
      expect(ourTree['srv/bin/tool']).toMatch(/^file 755 /);
      // Owners, file times and the hardlink, as GNU tar lists both layers (directories' times are the copy's own).
      const listing = async (dir: string, l: Layout) =>
        (
          await tarListing(
            join(tmp.path, dir, 'blobs', 'sha256', (l.manifest.layers[0]?.digest ?? '').slice(7)),
          )
        )
          .filter((line) => !line.startsWith('d'))
          .sort();
      expect(await listing('l-oci', ours)).toEqual(await listing('b-oci', theirs));
    });

    it("on a base image: the new layer holds the same changes as buildah's (files added, changed, removed)", async () => {
      const base = join(tmp.path, 'base-oci');
      const seed = join(tmp.path, 'base-root');
      const sc = await lb(seed, ['from', 'scratch']);
      await lb(seed, ['copy', sc, tree, '/srv']);
      await lb(seed, ['commit', '-q', sc, `oci:${base}:base`]);
      const change = async (rootfs: string) => {
        await writeFile(join(rootfs, 'srv', 'etc', 'conf.d', 'a.conf'), 'a=2\n');
        await utimes(join(rootfs, 'srv', 'etc', 'conf.d', 'a.conf'), pinned, pinned);
        await run('rm', ['-r', join(rootfs, 'srv', 'bin'), join(rootfs, 'srv', 'tool-link')]);
      };
      const b = join(tmp.path, 'on-base-b');
      const bc = await buildah(b, ['from', 'oci:base-oci:base'], { cwd: tmp.path });
      await buildah(b, ['copy', bc, join(tree, 'etc'), '/more']);
      await change(await buildah(b, ['mount', bc]));
      await buildah(b, ['commit', '-q', '--format', 'oci', bc, `oci:${join(tmp.path, 'on-base-b-oci')}:x`]);
      const root = join(tmp.path, 'on-base-l');
      const lc = await lb(root, ['from', `oci:${base}:base`]);
      await lb(root, ['copy', lc, join(tree, 'etc'), '/more']);
      await change(await lb(root, ['mount', lc]));
      await lb(root, ['commit', '-q', lc, `oci:${join(tmp.path, 'on-base-l-oci')}:x`]);

      const theirs = await readLayout(join(tmp.path, 'on-base-b-oci'));
      const ours = await readLayout(join(tmp.path, 'on-base-l-oci'));
      expect(ours.manifest.layers).toHaveLength(2);
      expect(theirs.manifest.layers).toHaveLength(2);
      for (const [name, dir] of [
        ['ob', 'on-base-b-oci'],
        ['ol', 'on-base-l-oci'],
      ] as const) {
        await run('umoci', [
          'unpack',
          '--rootless',
          '--image',
          `${join(tmp.path, dir)}:x`,
          join(tmp.path, `${name}-bundle`),
        ]);
      }
      const ourTree = treeContents(join(tmp.path, 'ol-bundle', 'rootfs'));
      expect(ourTree).toEqual(treeContents(join(tmp.path, 'ob-bundle', 'rootfs')));
      expect(ourTree['srv/bin']).toBeUndefined();
      // The top layers name the same non-directory paths (whiteouts included).
      const names = async (dir: string, l: Layout) =>
        (
          await tarListing(
            join(tmp.path, dir, 'blobs', 'sha256', (l.manifest.layers[1]?.digest ?? '').slice(7)),
          )
        )
          .filter((line) => !line.startsWith('d'))
          .map((line) => line.split(' ').pop())
          .sort();
      expect(await names('on-base-l-oci', ours)).toEqual(await names('on-base-b-oci', theirs));
    });

    it('with the same --timestamp, two lading runs write byte-identical images', async () => {
      const digests: string[] = [];
      for (const i of [1, 2]) {
        const root = join(tmp.path, `det-${i}`);
        const c = await lb(root, ['from', 'scratch']);
        await lb(root, ['copy', c, tree, '/srv']);
        await lb(root, ['config', '--label', 'k=v', c]);
        await lb(root, [
          'commit',
          '-q',
          '--timestamp',
          '1600000000',
          c,
          `oci:${join(tmp.path, `det-oci-${i}`)}:x`,
        ]);
        digests.push((await readLayout(join(tmp.path, `det-oci-${i}`))).manifestDigest);
      }
      expect(digests[0]).toBe(digests[1]);
    });

    it("buildah from oci:DIR reads our image; lading from oci:DIR reads buildah's", async () => {
      const root = join(tmp.path, 'x-l');
      const c = await lb(root, ['from', 'scratch']);
      await lb(root, ['copy', c, tree, '/srv']);
      await lb(root, [
        'commit',
        '-q',
        '--disable-compression=false',
        c,
        `oci:${join(tmp.path, 'x-ours')}:v1`,
      ]);
      const b = join(tmp.path, 'x-b');
      // A relative path: buildah names the pulled image after the path, and the temp dir's name has capitals.
      const bc = await buildah(b, ['from', '--pull-always', 'oci:x-ours:v1'], { cwd: tmp.path });
      const bm = await buildah(b, ['mount', bc]);
      expect(await readFile(join(bm, 'srv', 'bin', 'tool'), 'utf8')).toContain('echo tool');
      await writeFile(join(bm, 'srv', 'added-by-buildah'), 'b\n');
      await buildah(b, ['commit', '-q', '--format', 'oci', bc, `oci:${join(tmp.path, 'x-theirs')}:v2`]);

      const lc = await lb(root, ['from', `oci:${join(tmp.path, 'x-theirs')}:v2`]);
      const lm = await lb(root, ['mount', lc]);
      expect(await readFile(join(lm, 'srv', 'added-by-buildah'), 'utf8')).toBe('b\n');
      expect(treeContents(join(lm, 'srv', 'etc'))).toEqual(treeContents(join(tree, 'etc')));
      // Our next commit shares buildah's two layers and adds one.
      await writeFile(join(lm, 'srv', 'added-by-lading'), 'l\n');
      const id = await lb(root, ['commit', '-q', lc, 'third']);
      expect(id).toMatch(/^[0-9a-f]{64}$/);
      // -D: layers as stored, so their digests can be compared with buildah's.
      await lb(root, ['push', '-q', '-D', 'third', `oci:${join(tmp.path, 'x-third')}:v3`]);
      const third = await readLayout(join(tmp.path, 'x-third'));
      const theirs = await readLayout(join(tmp.path, 'x-theirs'));
      expect(third.manifest.layers.slice(0, 2).map((l) => l.digest)).toEqual(
        theirs.manifest.layers.map((l) => l.digest),
      );
      expect(third.manifest.layers).toHaveLength(3);
      const top = await tarListing(
        join(tmp.path, 'x-third', 'blobs', 'sha256', (third.manifest.layers[2]?.digest ?? '').slice(7)),
      );
      expect(top.map((l) => l.split(' ').pop())).toEqual(expect.arrayContaining(['srv/added-by-lading']));
    });
  },
);

describe.runIf(havePeers('skopeo', 'docker-registry'))('push to every transport, checked by skopeo', () => {
  let registry: RunningRegistry;
  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(async () => registry?.stop());

  it('oci:, oci-archive:, dir:, docker-archive:, docker:// (and a DEST without transport); --digestfile', async () => {
    const root = join(tmp.path, 'push');
    const c = await lb(root, ['from', 'scratch']);
    await lb(root, ['copy', c, tree, '/srv']);
    await lb(root, ['config', '--label', 'pushed=yes', c]);
    const id = await lb(root, ['commit', '-q', c, 'pushme']);
    const dests: [string, string][] = [
      [`oci:${join(tmp.path, 'p-oci')}:t`, `oci:${join(tmp.path, 'p-oci')}:t`],
      [`oci-archive:${join(tmp.path, 'p.tar')}:t`, `oci-archive:${join(tmp.path, 'p.tar')}:t`],
      [`dir:${join(tmp.path, 'p-dir')}`, `dir:${join(tmp.path, 'p-dir')}`],
      [
        `docker-archive:${join(tmp.path, 'p-docker.tar')}:x/y:z`,
        `docker-archive:${join(tmp.path, 'p-docker.tar')}`,
      ],
      [`docker://${registry.host}/a/b:c`, `docker://${registry.host}/a/b:c`],
      [`${registry.host}/a/plain:d`, `docker://${registry.host}/a/plain:d`],
    ];
    let k = 0;
    for (const [dest, check] of dests) {
      const digestFile = join(tmp.path, `digest-${++k}`);
      await lb(root, ['push', '-q', '--tls-verify=false', '--digestfile', digestFile, 'pushme', dest]);
      const inspected = JSON.parse(
        (await run('skopeo', ['inspect', '--tls-verify=false', check])).stdout,
      ) as { Labels: Record<string, string>; Digest: string };
      expect(inspected.Labels.pushed).toBe('yes');
      const raw = (await run('skopeo', ['inspect', '--tls-verify=false', '--config', '--raw', check])).stdout;
      expect(raw.length).toBeGreaterThan(0);
      expect(await readFile(digestFile, 'utf8')).toMatch(/^sha256:[0-9a-f]{64}$/);
    }
    // The registry copy's config is the very config we committed (same digest as the image ID).
    const cfg = (
      await run('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${registry.host}/a/b:c`])
    ).stdout;
    expect(JSON.parse(cfg).config.digest).toBe(`sha256:${id}`);

    // And back: `from` pulls from the registry into another storage (docker:// and a bare name missing locally).
    const other = join(tmp.path, 'pull-back');
    const c1 = await lb(other, ['from', '--tls-verify=false', `docker://${registry.host}/a/b:c`]);
    expect(c1).toBe('b-working-container');
    expect(await readFile(join(await lb(other, ['mount', c1]), 'srv', 'bin', 'tool'), 'utf8')).toContain(
      'echo tool',
    );
    const c2 = await lb(other, ['from', '--tls-verify=false', `${registry.host}/a/plain:d`]);
    expect(c2).toBe('plain-working-container');
    const names = (JSON.parse(await lb(other, ['images', '--json'])) as { names: string[] }[]).flatMap(
      (i) => i.names,
    );
    expect(names).toEqual(expect.arrayContaining([`${registry.host}/a/b:c`, `${registry.host}/a/plain:d`]));
    // --pull=never now finds it locally; a second container of the same image is named -1.
    expect(await lb(other, ['from', '--pull=never', `${registry.host}/a/plain:d`])).toBe(
      'plain-working-container-1',
    );
  });
});
