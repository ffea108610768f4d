import { join } from 'node:path';
import { havePeers, makeTempDir, run, type TempDir } from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helloRootfs, lading } from './helpers.js';

let dir: TempDir;
beforeAll(async () => {
  dir = await makeTempDir('lading-exporter-compression-');
});
afterAll(async () => dir?.cleanup());
const env = () => ({ LADING_STORE: join(dir.path, 'store') });

interface RawManifest {
  layers: { mediaType: string; digest: string; size: number }[];
}

/** sha256 of a file and of its decompressed bytes, by coreutils and the zstd/gzip tools (not by lading). */
async function peerDigests(file: string, decompress: 'zstd' | 'gzip') {
  const sum = async (cmd: string) =>
    `sha256:${(await run('sh', ['-c', cmd, 'sh', file])).stdout.trim().split(/\s+/)[0]}`;
  return {
    blob: await sum('sha256sum "$1"'),
    diffId: await sum(`${decompress === 'zstd' ? 'zstd -dc' : 'gzip -dc'} "$1" | sha256sum`),
  };
}

describe.runIf(havePeers('umoci', 'skopeo', 'zstd'))(
  'force-compression on a base image (umoci, gzip)',
  () => {
    let base: string;
    let baseManifest: RawManifest;
    let baseDiffIds: string[];
    beforeAll(async () => {
      base = join(dir.path, 'base');
      await run('umoci', ['init', '--layout', base]);
      await run('umoci', ['new', '--image', `${base}:b`]);
      await run('umoci', ['insert', '--image', `${base}:b`, join(helloRootfs, 'etc'), '/etc']);
      baseManifest = JSON.parse((await run('skopeo', ['inspect', '--raw', `oci:${base}:b`])).stdout);
      baseDiffIds = JSON.parse(
        (await run('skopeo', ['inspect', '--config', '--raw', `oci:${base}:b`])).stdout,
      ).rootfs.diff_ids;
      expect(baseManifest.layers[0]?.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
    }, 60_000);

    const exportOnBase = (dest: string, output: string) =>
      lading(
        [
          'export',
          join(helloRootfs, 'usr'),
          '--base',
          `oci:${base}:b`,
          '-o',
          `type=oci,tar=false,dest=${dest},${output}`,
          '--tag',
          'x:1',
          '--progress',
          'json',
        ],
        { cwd: dir.path, env: env() },
      );

    it('compression=zstd,force-compression=true recompresses the gzip base layer; diff IDs unchanged', async () => {
      const r = await exportOnBase('forced', 'compression=zstd,force-compression=true');
      expect(r.stderr).not.toContain('"error"');
      expect(r.code).toBe(0);
      const layout = join(dir.path, 'forced');
      const raw: RawManifest = JSON.parse(
        (await run('skopeo', ['inspect', '--raw', `oci:${layout}:1`])).stdout,
      );
      expect(raw.layers.map((l) => l.mediaType)).toEqual([
        'application/vnd.oci.image.layer.v1.tar+zstd',
        'application/vnd.oci.image.layer.v1.tar+zstd',
      ]);
      const first = raw.layers[0] as RawManifest['layers'][number];
      expect(first.digest).not.toBe(baseManifest.layers[0]?.digest);
      const blobFile = join(layout, 'blobs', 'sha256', first.digest.slice('sha256:'.length));
      const peer = await peerDigests(blobFile, 'zstd');
      expect(peer.blob).toBe(first.digest);
      expect(peer.diffId).toBe(baseDiffIds[0]);
      const cfg = JSON.parse(
        (await run('skopeo', ['inspect', '--config', '--raw', `oci:${layout}:1`])).stdout,
      );
      expect(cfg.rootfs.diff_ids[0]).toBe(baseDiffIds[0]);
      expect(r.stderr).toContain('recompressed');
    }, 60_000);

    it('without force-compression the base layer is kept as it is (only new layers take zstd)', async () => {
      const r = await exportOnBase('kept', 'compression=zstd');
      expect(r.code).toBe(0);
      const raw: RawManifest = JSON.parse(
        (await run('skopeo', ['inspect', '--raw', `oci:${join(dir.path, 'kept')}:1`])).stdout,
      );
      expect(raw.layers[0]).toEqual(baseManifest.layers[0]);
      expect(raw.layers[1]?.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+zstd');
      expect(r.stderr).not.toContain('recompressed');
    }, 60_000);

    it('force-compression with the same compression as the base changes nothing', async () => {
      const r = await exportOnBase('same', 'compression=gzip,force-compression=true');
      expect(r.code).toBe(0);
      const raw: RawManifest = JSON.parse(
        (await run('skopeo', ['inspect', '--raw', `oci:${join(dir.path, 'same')}:1`])).stdout,
      );
      expect(raw.layers[0]).toEqual(baseManifest.layers[0]);
      expect(r.stderr).not.toContain('recompressed');
    }, 60_000);

    it('force-compression that is not a bool is an OptionError naming the key (exit 2)', async () => {
      const r = await exportOnBase('bad', 'force-compression=maybe');
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('force-compression');
    }, 60_000);
  },
);
