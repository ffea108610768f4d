// skopeo and umoci read a layout written by LocalStore, with an unfinished ingest, labels and a lease beside it.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Digest } from '@lading/digest';
import { havePeers, makeTempDir, run } from '@lading/testkit';
import { describe, expect, it } from 'vitest';
import { writeBlob } from '../src/blob-helpers.js';
import { openLocalStore } from '../src/local-store.js';

const sha256 = (b: Uint8Array | string) => `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;

/** A minimal ustar archive (regular files only), written here so the oracle does not depend on lading's tar code. */
function ustar(files: { name: string; body: Buffer }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const f of files) {
    const h = Buffer.alloc(512);
    const put = (off: number, len: number, s: string) => h.write(s, off, len, 'ascii');
    const octal = (off: number, len: number, n: number) =>
      put(off, len, `${n.toString(8).padStart(len - 1, '0')}\0`);
    put(0, 100, f.name);
    octal(100, 8, 0o644);
    octal(108, 8, 0);
    octal(116, 8, 0);
    octal(124, 12, f.body.length);
    octal(136, 12, 1_700_000_000);
    put(148, 8, '        ');
    put(156, 1, '0');
    put(257, 6, 'ustar\0');
    put(263, 2, '00');
    let sum = 0;
    for (const b of h) sum += b;
    put(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
    blocks.push(h, f.body, Buffer.alloc((512 - (f.body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

describe.runIf(havePeers('skopeo', 'umoci'))('LocalStore layouts read by skopeo and umoci', () => {
  it('skopeo inspects and copies, umoci unpacks, while ingest/, labels/ and leases/ sit beside blobs/', async () => {
    await using tmp = await makeTempDir('lading-interop-');
    const layout = join(tmp.path, 'layout');
    const store = await openLocalStore(layout);
    const content = Buffer.from('hello from lading\n');
    const tar = ustar([{ name: 'hello.txt', body: content }]);
    const gz = gzipSync(tar);
    const lease = await store.createLease({ id: 'interop' });
    const layer = await writeBlob(store, gz, {
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
      expected: { digest: sha256(gz), size: gz.length },
      lease: lease.id,
      labels: { 'lading.test/role': 'layer' },
    });
    const configBytes = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: { Cmd: ['/bin/sh'] },
        rootfs: { type: 'layers', diff_ids: [sha256(tar)] },
        history: [{ created_by: 'lading interop test' }],
      }),
    );
    const config = await writeBlob(store, configBytes, {
      mediaType: 'application/vnd.oci.image.config.v1+json',
    });
    const manifestBytes = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config,
        layers: [layer],
      }),
    );
    const manifest = await writeBlob(store, manifestBytes, {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
    });
    expect(manifest.digest).toBe(sha256(manifestBytes));
    await store.updateIndex((index) => ({
      ...index,
      manifests: [
        ...index.manifests,
        { ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'v1' } },
      ],
    }));
    const pending = await store.writer({ ref: 'unfinished' });
    await pending.write(Buffer.from('half a blob'));
    await pending.close();
    await store.updateLabels(config.digest, { 'lading.test/role': 'config' });

    const inspect = JSON.parse((await run('skopeo', ['inspect', `oci:${layout}:v1`])).stdout) as {
      Digest: string;
      Layers: string[];
    };
    expect(inspect.Digest).toBe(sha256(manifestBytes));
    expect(inspect.Layers).toEqual([sha256(gz)]);
    const rawConfig = (await run('skopeo', ['inspect', '--config', '--raw', `oci:${layout}:v1`])).stdout;
    expect(sha256(rawConfig)).toBe(sha256(configBytes));

    const out = join(tmp.path, 'dir-copy');
    await run('skopeo', ['copy', `oci:${layout}:v1`, `dir:${out}`]);
    const copied = await readdir(out);
    expect(copied).toEqual(
      expect.arrayContaining(['manifest.json', sha256(gz).slice(7), sha256(configBytes).slice(7)]),
    );
    expect(sha256(await readFile(join(out, sha256(gz).slice(7))))).toBe(sha256(gz));

    const bundle = join(tmp.path, 'bundle');
    await run('umoci', ['unpack', '--rootless', '--image', `${layout}:v1`, bundle]);
    expect(await readFile(join(bundle, 'rootfs', 'hello.txt'))).toEqual(content);

    // The peers left our side of the layout alone.
    expect((await store.listIngests()).map((s) => [s.ref, s.offset])).toEqual([['unfinished', 11]]);
    expect((await store.info(layer.digest)).labels).toEqual({ 'lading.test/role': 'layer' });
  });
});
