import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { havePeers, makeTempDir, run, startRegistry, type TempDir } from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

/** A fresh store per call, so the only place a layer can come from is the imported cache. */
let stores = 0;
const env = () => ({ LADING_STORE: join(dir.path, `store-${++stores}`) });

/** How each layer was made, from the `--progress json` debug events: built, cached, or the cache it came from. */
function layerOrigins(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { event: string; message?: string })
    .filter((e) => e.event === 'debug' && /^layer \d+: /.test(e.message ?? ''))
    .map((e) => /\(([^)]*)\)$/.exec(e.message ?? '')?.[1] ?? '');
}

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
    const origins = layerOrigins(again.stderr);
    expect(origins).toHaveLength(2);
    expect(origins.every((o) => o.startsWith('local '))).toBe(true);
    expect(await skopeoLayers('again')).toEqual(await skopeoLayers('first'));
    const digest = (r: { stdout: string }) =>
      JSON.parse(r.stdout).outputs[0].response['containerimage.digest'];
    expect(digest(again)).toBe(digest(first));
  }, 60_000);

  it('mode=max: a changed input misses from that layer on; the layers below still come from the cache', async () => {
    // mode=min (the default, as in BuildKit) keeps only the top record's result; max keeps every layer's
    const max = await lading(exportArgs('max', ['--cache-to', 'type=local,dest=cache-max,mode=max']), {
      cwd: dir.path,
      env: env(),
    });
    expect(max.code).toBe(0);
    await writeFile(join(app, 'main.txt'), 'version 2\n');
    const r = await lading(exportArgs('changed', ['--cache-from', 'type=local,src=cache-max']), {
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
    await writeFile(join(app, 'main.txt'), 'version 1\n');
  }, 60_000);

  it('another compression is another key: zstd does not take the gzip layers', async () => {
    const r = await lading(
      [...exportArgs('zstd', ['--cache-from', 'type=local,src=cache']), '--compression', 'zstd'],
      { cwd: dir.path, env: env() },
    );
    expect(r.code).toBe(0);
    expect(layerOrigins(r.stderr)).toEqual(['built', 'built']);
  }, 60_000);

  it.runIf(havePeers('docker-registry'))(
    'type=registry: --cache-to a registry, then --cache-from it builds nothing',
    async () => {
      const registry = await startRegistry();
      try {
        const ref = `ref=${registry.host}/lading/cache:c,registry.insecure=true`;
        const first = await lading(exportArgs('reg-first', ['--cache-to', `type=registry,${ref}`]), {
          cwd: dir.path,
          env: env(),
        });
        expect(first.code).toBe(0);
        const again = await lading(exportArgs('reg-again', ['--cache-from', `type=registry,${ref}`]), {
          cwd: dir.path,
          env: env(),
        });
        expect(again.stderr).not.toContain('"error"');
        expect(again.code).toBe(0);
        const origins = layerOrigins(again.stderr);
        expect(origins).toHaveLength(2);
        expect(origins.every((o) => o.startsWith('registry '))).toBe(true);
        expect(await skopeoLayers('reg-again')).toEqual(await skopeoLayers('reg-first'));
      } finally {
        await registry.stop();
      }
    },
    120_000,
  );
});

describe('--cache-from / --cache-to errors', () => {
  const cases: [string[], string][] = [
    [['--cache-from', 'type=s3,bucket=x'], '--cache-from type=s3: use local or registry'],
    [['--cache-to', 'type=gha'], '--cache-to type=gha: use local or registry'],
    [['--cache-from', 'type=local'], '--cache-from type=local needs src=DIR'],
    [['--cache-to', 'type=local'], '--cache-to type=local needs dest=DIR'],
    [['--cache-from', 'type=registry'], '--cache-from type=registry needs ref=REGISTRY/REPO:TAG'],
    [['--cache-from', 'src=x'], 'type=... is required'],
  ];
  for (const [args, message] of cases) {
    it(`${args.join(' ')}: exit 2, ${message}`, async () => {
      const r = await lading(['export', helloRootfs, '-o', 'type=oci,dest=never.tar', ...args], {
        cwd: dir.path,
        env: env(),
      });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(message);
    });
  }

  it('a --cache-from directory that holds no cache is not found (exit 4) and nothing is written', async () => {
    const r = await lading(
      ['export', helloRootfs, '-o', 'type=oci,dest=none.tar', '--cache-from', 'type=local,src=nowhere'],
      { cwd: dir.path, env: env() },
    );
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('no cache tagged "latest"');
    await expect(
      run('test', ['-e', join(dir.path, 'none.tar')], { allowFailure: true }),
    ).resolves.toMatchObject({
      code: 1,
    });
  });
});
