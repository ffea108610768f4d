// issue 19 item 8: `--cache-to type=inline` on `lading export`, end to end through a real registry: the cache is
// in the pushed image's config as BuildKit writes it (cache/remotecache/inline/inline.go: the records of
// cache/remotecache/v1/spec.go, JSON, base64 under moby.buildkit.cache.v0), and another machine's export takes its
// layers from that image with --cache-from. The manifest and config are skopeo's view of what was pushed.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { havePeers, makeTempDir, run, startRegistry, type TempDir } from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lading } from './helpers.js';

interface CacheRecord {
  digest: string;
  layers?: { layer: number; createdAt: string }[];
  inputs?: { selector?: string; link: number }[][];
}

describe.runIf(havePeers('skopeo', 'docker-registry'))('--cache-to type=inline through a registry', () => {
  let dir: TempDir;
  let registry: Awaited<ReturnType<typeof startRegistry>>;
  let image: string;
  const inputs = () => [join(dir.path, 'app', 'a'), join(dir.path, 'app', 'b')];
  const skopeo = async (...args: string[]) =>
    JSON.parse((await run('skopeo', ['inspect', '--tls-verify=false', ...args])).stdout);

  beforeAll(async () => {
    dir = await makeTempDir('lading-cache-inline-');
    registry = await startRegistry();
    image = `${registry.host}/lading/inline:1`;
    for (const [d, f] of [
      ['a', 'one'],
      ['b', 'two'],
    ] as const) {
      await mkdir(join(dir.path, 'app', d), { recursive: true });
      await writeFile(join(dir.path, 'app', d, f), `${f}\n`);
    }
  }, 60_000);
  afterAll(async () => {
    await registry?.stop();
    await dir?.cleanup();
  });

  it('the pushed config holds one record per layer, chained, each naming its layer of the manifest', async () => {
    const pushed = await lading(
      [
        'export',
        ...inputs(),
        '-o',
        `type=registry,name=${image},registry.insecure=true`,
        '--cache-to',
        'type=inline',
        '--progress',
        'plain',
      ],
      { env: { LADING_STORE: join(dir.path, 'store-1') } },
    );
    expect(pushed.stderr).toContain(`pushing ${image}`);
    expect(pushed.code).toBe(0);
    const manifest = await skopeo('--raw', `docker://${image}`);
    const config = await skopeo('--config', '--raw', `docker://${image}`);
    expect(typeof config['moby.buildkit.cache.v0']).toBe('string');
    const records = JSON.parse(
      Buffer.from(config['moby.buildkit.cache.v0'], 'base64').toString(),
    ) as CacheRecord[];
    expect(records).toHaveLength(manifest.layers.length);
    for (const r of records) {
      expect(Object.keys(r).every((k) => ['digest', 'layers', 'inputs', 'chains'].includes(k))).toBe(true);
      expect(r.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(Number.isNaN(Date.parse(r.layers?.[0]?.createdAt ?? ''))).toBe(false);
    }
    // The records are in no set order (BuildKit sorts them by digest): follow the chain from the one with no input;
    // the result of its n-th record is layer n of the manifest.
    const chain = [records.findIndex((r) => r.inputs === undefined)];
    while (chain.length < records.length) {
      const below = chain.at(-1);
      const next = records.findIndex((r) => r.inputs?.[0]?.length === 1 && r.inputs[0][0]?.link === below);
      expect(next, `a record on top of record ${below}`).toBeGreaterThanOrEqual(0);
      chain.push(next);
    }
    expect(chain.map((i) => records[i]?.layers?.map((l) => l.layer))).toEqual(
      manifest.layers.map((_: unknown, n: number) => [n]),
    );
    expect(new Set(records.map((r) => r.digest)).size).toBe(records.length);
    // the config stays an image config: the cache is beside rootfs, not instead of it
    expect(config.rootfs.diff_ids).toHaveLength(manifest.layers.length);
  }, 60_000);

  it('another store exports the same inputs from it: every layer taken from the image, the same blobs', async () => {
    const out = join(dir.path, 'second');
    const second = await lading(
      [
        'export',
        ...inputs(),
        '-o',
        `type=oci,tar=false,dest=${out}`,
        '-t',
        'app:1',
        '--cache-from',
        `type=registry,ref=${image},registry.insecure=true`,
        '--progress',
        'json',
      ],
      { env: { LADING_STORE: join(dir.path, 'store-2') } },
    );
    expect(second.code).toBe(0);
    const events = second.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { event: string; message?: string });
    const debug = events.filter((e) => e.event === 'debug').map((e) => e.message);
    expect(debug).toContain(`imported registry ${image}: 2 records, 2 layers (inline)`);
    const pushed = await skopeo('--raw', `docker://${image}`);
    for (const [i, l] of pushed.layers.entries()) {
      expect(debug).toContain(`layer ${i}: ${l.digest} (registry ${image})`);
    }
    const written = JSON.parse((await run('skopeo', ['inspect', '--raw', `oci:${out}:1`])).stdout);
    expect(written.layers.map((l: { digest: string }) => l.digest)).toEqual(
      pushed.layers.map((l: { digest: string }) => l.digest),
    );
    expect(events.some((e) => e.event === 'warning')).toBe(false);
    // in plain progress every layer taken from the image is marked CACHED, as BuildKit marks cache hits
    const plain = await lading(
      [
        'export',
        ...inputs(),
        '-o',
        `type=oci,tar=false,dest=${join(dir.path, 'third')}`,
        '--cache-from',
        `type=registry,ref=${image},registry.insecure=true`,
        '--progress',
        'plain',
      ],
      { env: { LADING_STORE: join(dir.path, 'store-4') } },
    );
    expect(plain.code).toBe(0);
    for (const [i, l] of pushed.layers.entries()) {
      expect(plain.stderr).toMatch(
        new RegExp(
          `^#(\\d+) layer ${i} ${l.digest} from registry ${image.replace(/\./g, '\\.')}\n#\\1 CACHED$`,
          'm',
        ),
      );
    }
  }, 60_000);

  it('several platforms with an inline cache: a usage error before anything is built', async () => {
    const r = await lading(
      [
        'export',
        ...inputs(),
        '--platform',
        'linux/amd64,linux/arm64',
        '--cache-to',
        'type=inline',
        '-o',
        'type=oci,dest=m.tar',
      ],
      { cwd: dir.path, env: { LADING_STORE: join(dir.path, 'store-3') } },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--cache-from/--cache-to work on one platform at a time');
    expect(r.stderr).not.toContain('building');
  });
});
