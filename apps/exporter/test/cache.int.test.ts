import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type FaultProxy,
  freePort,
  havePeers,
  makeTempDir,
  type RunningRegistry,
  run,
  startFaultProxy,
  startRegistry,
  type TempDir,
} from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { debugLines, layerOrigins, warnings } from './cache-helpers.js';
import { helloRootfs, lading } from './helpers.js';

let dir: TempDir;
let app: string;
beforeAll(async () => {
  dir = await makeTempDir('lading-exporter-cache-');
  app = join(dir.path, 'app');
  await mkdir(app, { recursive: true });
  await writeFile(join(app, 'main.txt'), 'version 1\n');
});
afterAll(async () => dir?.cleanup());

/** A fresh store per call (another machine, another CI runner): a layer can only come from the imported cache. */
let stores = 0;
const env = () => ({ LADING_STORE: join(dir.path, `store-${++stores}`) });

const exportArgs = (dest: string, cache: string[]) => [
  'export',
  join(helloRootfs, 'etc'),
  app,
  '-o',
  `type=oci,tar=false,dest=${dest}`,
  '--tag',
  'c:1',
  '--epoch',
  '0',
  '--progress',
  'json',
  '--json',
  ...cache,
];

/** Layer digests as skopeo reads them from a layout. */
async function skopeoLayers(layout: string): Promise<string[]> {
  return JSON.parse((await run('skopeo', ['inspect', `oci:${join(dir.path, layout)}:1`])).stdout).Layers;
}

const imageDigest = (r: { stdout: string }) =>
  JSON.parse(r.stdout).outputs[0].response['containerimage.digest'];

describe.runIf(havePeers('skopeo'))('--cache-from reuses layers without building them', () => {
  it('type=local: every layer whose key is in the cache is taken from it; the image is the same', async () => {
    const first = await lading(exportArgs('first', ['--cache-to', 'type=local,dest=cache']), {
      cwd: dir.path,
      env: env(),
    });
    expect(first.code).toBe(0);
    expect(layerOrigins(first.stderr)).toEqual(['built', 'built']);

    const again = await lading(exportArgs('again', ['--cache-from', 'type=local,src=cache']), {
      cwd: dir.path,
      env: env(),
    });
    expect(again.code).toBe(0);
    expect(warnings(again.stderr)).toEqual([]);
    const origins = layerOrigins(again.stderr);
    expect(origins).toHaveLength(2);
    expect(origins.every((o) => o.startsWith('local '))).toBe(true);
    expect(await skopeoLayers('again')).toEqual(await skopeoLayers('first'));
    expect(imageDigest(again)).toBe(imageDigest(first));
  }, 60_000);

  it('a changed input rebuilds only its layer (mode=min keeps every layer of the image, as BuildKit)', async () => {
    await writeFile(join(app, 'main.txt'), 'version 2\n');
    try {
      const r = await lading(exportArgs('changed', ['--cache-from', 'type=local,src=cache']), {
        cwd: dir.path,
        env: env(),
      });
      expect(r.code).toBe(0);
      const origins = layerOrigins(r.stderr);
      expect(origins[0]?.startsWith('local ')).toBe(true);
      expect(origins[1]).toBe('built');
      const [firstLayers, changedLayers] = [await skopeoLayers('first'), await skopeoLayers('changed')];
      expect(changedLayers[0]).toBe(firstLayers[0]);
      expect(changedLayers[1]).not.toBe(firstLayers[1]);
    } finally {
      await writeFile(join(app, 'main.txt'), 'version 1\n');
    }
  }, 60_000);

  it('another compression: the gzip layers do not serve a zstd build', async () => {
    const r = await lading(
      [...exportArgs('zstd', ['--cache-from', 'type=local,src=cache']), '--compression', 'zstd'],
      { cwd: dir.path, env: env() },
    );
    expect(r.code).toBe(0);
    expect(layerOrigins(r.stderr)).toEqual(['built', 'built']);
  }, 60_000);

  it('force-compression=true writes the cache in its compression, which a zstd build then takes', async () => {
    // Without force, BuildKit keeps a layer's existing blob: compression= alone changes nothing.
    const kept = await lading(
      exportArgs('kept', ['--cache-to', 'type=local,dest=cache-kept,compression=zstd']),
      {
        cwd: dir.path,
        env: env(),
      },
    );
    expect(kept.code).toBe(0);
    const forced = await lading(
      exportArgs('forced', [
        '--cache-to',
        'type=local,dest=cache-zstd,compression=zstd,force-compression=true',
      ]),
      { cwd: dir.path, env: env() },
    );
    expect(forced.code).toBe(0);
    const layersOf = async (cache: string) => {
      const raw = (await run('skopeo', ['inspect', '--raw', `oci:${join(dir.path, cache)}:latest`])).stdout;
      return JSON.parse(raw).layers as { mediaType: string; digest: string }[];
    };
    expect((await layersOf('cache-kept')).map((l) => l.mediaType)).toEqual([
      'application/vnd.oci.image.layer.v1.tar+gzip',
      'application/vnd.oci.image.layer.v1.tar+gzip',
    ]);
    const zstdLayers = await layersOf('cache-zstd');
    expect(zstdLayers.map((l) => l.mediaType)).toEqual([
      'application/vnd.oci.image.layer.v1.tar+zstd',
      'application/vnd.oci.image.layer.v1.tar+zstd',
    ]);
    for (const l of zstdLayers) {
      const blob = await readFile(join(dir.path, 'cache-zstd', 'blobs', 'sha256', l.digest.slice(7)));
      expect([...blob.subarray(0, 4)]).toEqual([0x28, 0xb5, 0x2f, 0xfd]); // zstd's magic number
    }
    const r = await lading(
      [...exportArgs('from-zstd', ['--cache-from', 'type=local,src=cache-zstd']), '--compression', 'zstd'],
      { cwd: dir.path, env: env() },
    );
    expect(r.code).toBe(0);
    expect(layerOrigins(r.stderr).every((o) => o.startsWith('local '))).toBe(true);
    const built = await lading([...exportArgs('zstd-built', []), '--compression', 'zstd'], {
      cwd: dir.path,
      env: env(),
    });
    // The same diff IDs whichever way the zstd layers came.
    const diffIds = async (layout: string) =>
      JSON.parse((await run('skopeo', ['inspect', '--config', `oci:${join(dir.path, layout)}:1`])).stdout)
        .rootfs.diff_ids;
    expect(await diffIds('from-zstd')).toEqual(await diffIds('zstd-built'));
    expect(built.code).toBe(0);
  }, 120_000);

  it('type=inline: the config carries BuildKit’s inline cache over the image’s own layers', async () => {
    const r = await lading(exportArgs('inline', ['--cache-to', 'type=inline']), {
      cwd: dir.path,
      env: env(),
    });
    expect(r.code).toBe(0);
    const config = JSON.parse(
      (await run('skopeo', ['inspect', '--config', '--raw', `oci:${join(dir.path, 'inline')}:1`])).stdout,
    );
    const records = JSON.parse(Buffer.from(config['moby.buildkit.cache.v0'], 'base64').toString());
    // One record per input layer; each result names the image layer on top of its chain.
    expect(Array.isArray(records)).toBe(true);
    expect(records).toHaveLength(2);
    const tops = records.flatMap((rec: { layers?: { layer: number }[] }) =>
      (rec.layers ?? []).map((l) => l.layer),
    );
    expect(tops.sort()).toEqual([0, 1]);
    expect(config.rootfs.diff_ids).toHaveLength(2);
  }, 60_000);
});

describe('--cache-from that cannot be imported is a warning, the export goes on', () => {
  it('a directory that holds no cache: a warning, exit 0, the image written, the directory not created', async () => {
    const r = await lading(
      [
        'export',
        helloRootfs,
        '-o',
        'type=oci,dest=none.tar',
        '--cache-from',
        'type=local,src=nowhere',
        '--progress',
        'json',
      ],
      { cwd: dir.path, env: env() },
    );
    expect(r.code).toBe(0);
    expect(warnings(r.stderr)).toEqual([
      expect.stringMatching(/^--cache-from type=local,src=nowhere: .*nowhere holds no OCI image layout/),
    ]);
    await expect(readdir(join(dir.path, 'nowhere'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await readdir(dir.path)).includes('none.tar')).toBe(true);
  });

  it('plain progress prints one WARNING line, no stack', async () => {
    const r = await lading(
      ['export', helloRootfs, '-o', 'type=oci,dest=plain.tar', '--cache-from', 'type=local,src=nowhere'],
      { cwd: dir.path, env: { ...env() } },
    );
    expect(r.code).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l.includes('WARNING'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('exporting without this cache');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it.runIf(havePeers('docker-registry'))(
    'an unreachable registry, a plain image, a tag whose config is garbage: warnings',
    async () => {
      const registry = await startRegistry();
      try {
        const closed = `127.0.0.1:${await freePort()}`;
        // A plain image (no inline cache).
        const pushed = await lading(
          [
            'export',
            helloRootfs,
            '-o',
            `type=registry,name=${registry.host}/plain/img:1,registry.insecure=true`,
          ],
          { cwd: dir.path, env: env() },
        );
        expect(pushed.code).toBe(0);
        // An image manifest that says its config is a cache config, over a blob that is not JSON.
        const garbage = new TextEncoder().encode('not a cache config');
        const { createHash } = await import('node:crypto');
        const gd = `sha256:${createHash('sha256').update(garbage).digest('hex')}`;
        const up = await fetch(`${registry.url}/v2/junk/c/blobs/uploads/`, { method: 'POST' });
        const loc = new URL(up.headers.get('location') as string, registry.url);
        loc.searchParams.set('digest', gd);
        expect((await fetch(loc, { method: 'PUT', body: garbage })).status).toBe(201);
        const manifest = JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: 'application/vnd.buildkit.cacheconfig.v0', digest: gd, size: garbage.length },
          layers: [],
        });
        const put = await fetch(`${registry.url}/v2/junk/c/manifests/1`, {
          method: 'PUT',
          headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
          body: manifest,
        });
        expect(put.status).toBe(201);

        const r = await lading(
          [
            'export',
            helloRootfs,
            '-o',
            'type=oci,dest=warned.tar',
            '--progress',
            'json',
            '--cache-from',
            `type=registry,ref=${closed}/nothing/here:1`,
            '--cache-from',
            `type=registry,ref=${registry.host}/plain/img:1`,
            '--cache-from',
            `${registry.host}/junk/c:1`,
            '--cache-from',
            `type=registry,ref=${registry.host}/never/pushed:1`,
          ],
          { cwd: dir.path, env: env() },
        );
        expect(r.code).toBe(0);
        const w = warnings(r.stderr);
        expect(w).toHaveLength(4);
        expect(w[0]).toContain(`${closed}/nothing/here:1`);
        expect(w[1]).toMatch(/no image with an inline cache .*holds no BuildKit cache/);
        expect(w[2]).toMatch(/cache config.*not valid UTF-8 JSON|cache config is not/);
        expect(w[3]).toMatch(/not found/);
        expect(w.every((m) => m.endsWith('exporting without this cache'))).toBe(true);
        expect((await readdir(dir.path)).includes('warned.tar')).toBe(true);
      } finally {
        await registry.stop();
      }
    },
    120_000,
  );
});

describe.runIf(havePeers('docker-registry', 'skopeo'))('two machines, one registry cache', () => {
  let registry: RunningRegistry;
  let proxy: FaultProxy;
  beforeAll(async () => {
    registry = await startRegistry();
    // Every request passes through, and is counted: the registry's own view of what was pushed.
    proxy = await startFaultProxy({ host: '127.0.0.1', port: registry.port });
  });
  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
  });

  /** Upload sessions the registry saw since `from` (POST /blobs/uploads/, a mount included). */
  const sessions = (from: number) =>
    proxy.requests.slice(from).filter((q) => q.method === 'POST' && q.path.includes('/blobs/uploads/'));
  /** The digests of the blobs uploaded since `from` (the closing PUT names the digest). */
  const uploaded = (from: number) =>
    proxy.requests
      .slice(from)
      .filter((q) => q.method === 'PUT' && q.path.includes('/blobs/uploads/'))
      .map((q) => new URL(q.path, 'http://x').searchParams.get('digest'));

  it('the CI pattern: --cache-from and --cache-to the same ref; warned first, every layer reused after', async () => {
    const ref = `${proxy.host}/ci/cache:1`;
    const flags = ['--cache-from', `type=registry,ref=${ref}`, '--cache-to', `type=registry,ref=${ref}`];
    // Machine A, empty registry.
    const a = await lading(exportArgs('machine-a', flags), { cwd: dir.path, env: env() });
    expect(a.code).toBe(0);
    expect(warnings(a.stderr)).toEqual([expect.stringMatching(/ci\/cache:1.* not found.*exporting without/)]);
    expect(layerOrigins(a.stderr)).toEqual(['built', 'built']);
    const raw = (await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`])).stdout;
    expect(JSON.parse(raw).mediaType).toBe('application/vnd.oci.image.manifest.v1+json');

    // Machine B: its own store and layout, the same inputs. No tar built, no layer pushed.
    const mark = proxy.requests.length;
    const b = await lading(exportArgs('machine-b', flags), { cwd: dir.path, env: env() });
    expect(b.code).toBe(0);
    expect(warnings(b.stderr)).toEqual([]);
    const origins = layerOrigins(b.stderr);
    expect(origins).toHaveLength(2);
    expect(origins.every((o) => o === `registry ${ref}`)).toBe(true);
    expect(sessions(mark)).toEqual([]);
    expect(debugLines(b.stderr)).toContain(
      `cache to registry ${ref}: 0 layers written, 2 already there, 0 mounted`,
    );
    expect(imageDigest(b)).toBe(imageDigest(a));
    expect(await skopeoLayers('machine-b')).toEqual(await skopeoLayers('machine-a'));

    // A changed input: only its layer is built, only its layer pushed.
    await writeFile(join(app, 'main.txt'), 'version 3\n');
    try {
      const mark2 = proxy.requests.length;
      const c = await lading(exportArgs('machine-c', flags), { cwd: dir.path, env: env() });
      expect(c.code).toBe(0);
      expect(layerOrigins(c.stderr)).toEqual([`registry ${ref}`, 'built']);
      const [aLayers, cLayers] = [await skopeoLayers('machine-a'), await skopeoLayers('machine-c')];
      expect(cLayers[0]).toBe(aLayers[0]);
      expect(cLayers[1]).not.toBe(aLayers[1]);
      // Of the image's layers, only the changed one went up (the cache config is new too).
      expect(uploaded(mark2).filter((d) => cLayers.includes(d as string))).toEqual([cLayers[1]]);
    } finally {
      await writeFile(join(app, 'main.txt'), 'version 1\n');
    }
  }, 180_000);

  it('every form lading writes is read back: OCI index, Docker manifest list, inline cache of a pushed image', async () => {
    for (const [attrs, mediaType] of [
      ['image-manifest=false', 'application/vnd.oci.image.index.v1+json'],
      ['oci-mediatypes=false', 'application/vnd.docker.distribution.manifest.list.v2+json'],
    ] as const) {
      const ref = `${registry.host}/forms/${attrs.split('=')[0]}:1`;
      const w = await lading(exportArgs(`w-${attrs}`, ['--cache-to', `type=registry,ref=${ref},${attrs}`]), {
        cwd: dir.path,
        env: env(),
      });
      expect(w.code).toBe(0);
      const raw = JSON.parse(
        (await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`])).stdout,
      );
      expect(raw.mediaType).toBe(mediaType);
      const r = await lading(exportArgs(`r-${attrs}`, ['--cache-from', `type=registry,ref=${ref}`]), {
        cwd: dir.path,
        env: env(),
      });
      expect(warnings(r.stderr)).toEqual([]);
      expect(layerOrigins(r.stderr).every((o) => o === `registry ${ref}`)).toBe(true);
    }
    const image = `${registry.host}/forms/inline:1`;
    const pushed = await lading(
      [
        ...exportArgs('inline-pushed', ['--cache-to', 'type=inline']),
        '-o',
        `type=registry,name=${image},registry.insecure=true`,
      ],
      { cwd: dir.path, env: env() },
    );
    expect(pushed.code).toBe(0);
    const r = await lading(exportArgs('from-inline', ['--cache-from', image]), { cwd: dir.path, env: env() });
    expect(warnings(r.stderr)).toEqual([]);
    expect(debugLines(r.stderr)).toContain(`imported registry ${image}: 2 records, 2 layers (inline)`);
    expect(layerOrigins(r.stderr).every((o) => o === `registry ${image}`)).toBe(true);
  }, 180_000);

  it('a cache export that fails fails the export (exit 5), unless ignore-error=true makes it a warning', async () => {
    // Nothing listens there: refused, retried, then a registry failure.
    const closed = `127.0.0.1:${await freePort()}`;
    const failing = await lading(exportArgs('fails', ['--cache-to', `type=registry,ref=${closed}/c/c:1`]), {
      cwd: dir.path,
      env: env(),
    });
    expect(failing.code).toBe(5);
    expect(failing.stderr).toContain(`exporting cache to registry ${closed}/c/c:1`);
    // A registry that refuses the push.
    const denying = await startFaultProxy({ host: '127.0.0.1', port: registry.port }, () => ({
      kind: 'status',
      status: 403,
    }));
    try {
      const ref = `${denying.host}/c/c:1`;
      const denied = await lading(exportArgs('denied', ['--cache-to', `type=registry,ref=${ref}`]), {
        cwd: dir.path,
        env: env(),
      });
      expect(denied.code).toBe(5);
      const ignored = await lading(
        exportArgs('ignored', ['--cache-to', `type=registry,ref=${ref},ignore-error=true`]),
        { cwd: dir.path, env: env() },
      );
      expect(ignored.code).toBe(0);
      expect(warnings(ignored.stderr)).toEqual([expect.stringMatching(/ignored \(ignore-error=true\)$/)]);
      expect(JSON.parse(ignored.stdout).outputs[0].response['cache.manifest']).toBeUndefined();
      expect(await skopeoLayers('ignored')).toHaveLength(2);
    } finally {
      await denying.stop();
    }
  }, 120_000);
});
