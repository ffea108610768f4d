import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, type TempDir } from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helloRootfs, lading } from './helpers.js';

// Issue 19, bug 3: with --base, the image's `created` is the build's (or SOURCE_DATE_EPOCH), as BuildKit's Dockerfile
// frontend drops the base's `created` and its exporter takes the last history time (checked against BuildKit itself
// in buildkit-bytes.int.test.ts).

interface Config {
  created?: string | null;
  history: { created?: string; created_by?: string }[];
}

let dir: TempDir;
const env = () => ({ LADING_STORE: join(dir.path, 'store'), SOURCE_DATE_EPOCH: '' });
// The base image says it was created long before its one history entry (its layer's time): lading must date the
// new image from the history, never from the base's `created`.
const baseCreated = '2005-01-01T00:00:00Z';
let baseLayerTime: string;

/** The config of the one image in an OCI layout directory, read from the files. */
async function layoutConfig(layout: string): Promise<Config> {
  const blob = (d: string) => join(layout, 'blobs', ...d.split(':'));
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8'));
  const manifest = JSON.parse(await readFile(blob(index.manifests[0].digest), 'utf8'));
  return JSON.parse(await readFile(blob(manifest.config.digest), 'utf8')) as Config;
}

async function exportOnBase(name: string, args: readonly string[]): Promise<Config> {
  const r = await lading(
    ['export', ...args, '--base', `oci:${join(dir.path, 'base')}:1`, '-o', `type=oci,tar=false,dest=${name}`],
    { cwd: dir.path, env: env() },
  );
  expect(r.stderr).not.toContain('ERROR');
  expect(r.code).toBe(0);
  return layoutConfig(join(dir.path, name));
}

beforeAll(async () => {
  dir = await makeTempDir('lading-base-created-');
  const baseConfig = join(dir.path, 'base-config.json');
  await writeFile(
    baseConfig,
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: baseCreated,
      config: { Env: ['PATH=/bin'] },
    }),
  );
  const r = await lading(
    ['export', helloRootfs, '--config', baseConfig, '-o', 'type=oci,tar=false,dest=base', '--tag', 'base:1'],
    { cwd: dir.path, env: env() },
  );
  expect(r.code).toBe(0);
  baseLayerTime = (await layoutConfig(join(dir.path, 'base'))).history[0]?.created as string;
  await mkdir(join(dir.path, 'app'));
  await writeFile(join(dir.path, 'app', 'app.txt'), 'app\n');
});
afterAll(async () => dir?.cleanup());

describe('created with --base', () => {
  it('the base is what the tests assume', async () => {
    const base = await layoutConfig(join(dir.path, 'base'));
    expect(base.created).toBe(baseCreated);
    expect(base.history).toHaveLength(1);
    expect(Date.parse(baseLayerTime)).toBeGreaterThan(Date.parse(baseCreated));
  });

  it('is the time of the layer this build adds, not the base image’s', async () => {
    const before = Date.now();
    const c = await exportOnBase('now', [join(dir.path, 'app')]);
    expect(c.history).toHaveLength(2);
    expect(c.history[0]?.created).toBe(baseLayerTime);
    expect(c.created).toBe(c.history[1]?.created);
    const t = Date.parse(c.created as string);
    expect(t).toBeGreaterThanOrEqual(before - 1000);
    expect(t).toBeLessThanOrEqual(Date.now() + 1000);
  });

  it('is SOURCE_DATE_EPOCH when one is given; the base history keeps its time', async () => {
    const c = await exportOnBase('epoch', [join(dir.path, 'app'), '--epoch', '1700000000']);
    expect(c.created).toBe('2023-11-14T22:13:20Z');
    expect(c.history.map((h) => h.created)).toEqual([baseLayerTime, '2023-11-14T22:13:20Z']);
  });

  it('with config edits only, is the base’s last history time, as a BuildKit metadata-only build dates it', async () => {
    const c = await exportOnBase('edits', ['--env', 'X=1']);
    expect(c.history).toHaveLength(1);
    expect(c.created).toBe(baseLayerTime);
  });
});

describe('created with SOURCE_DATE_EPOCH and a config that has one', () => {
  // BuildKit's frontend hands the build's SOURCE_DATE_EPOCH to the exporter (source.date.epoch), whose patch clamps a
  // later `created` to it and keeps an earlier one.
  async function exportConfig(name: string, created: string, epoch: string): Promise<Config> {
    const file = join(dir.path, `${name}.json`);
    await writeFile(file, JSON.stringify({ architecture: 'amd64', os: 'linux', created }));
    const r = await lading(
      ['export', join(dir.path, 'app'), '--config', file, '-o', `type=oci,tar=false,dest=${name}`],
      { cwd: dir.path, env: { ...env(), SOURCE_DATE_EPOCH: epoch } },
    );
    expect(r.code).toBe(0);
    return layoutConfig(join(dir.path, name));
  }

  it('a later created is clamped to the epoch', async () => {
    const c = await exportConfig('later', '2030-01-01T00:00:00Z', '1700000000');
    expect(c.created).toBe('2023-11-14T22:13:20Z');
  });

  it('an earlier created is kept', async () => {
    const c = await exportConfig('earlier', '2001-01-01T00:00:00Z', '1700000000');
    expect(c.created).toBe('2001-01-01T00:00:00Z');
  });
});
