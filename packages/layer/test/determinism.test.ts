// Same tree and options -> byte-identical blob, digest and diffID: across runs, across compressor worker counts, and
// across copies of the tree (other inodes, other paths). An epoch clamps later mtimes to it as BuildKit's
// SOURCE_DATE_EPOCH does, and leaves earlier ones alone. Times are checked with GNU tar's listing.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createMemoryStore } from '@lading/content-store';
import { InvalidInputError } from '@lading/digest';
import { havePeers, makeTempDir, type TempDir } from '@lading/testkit';
import { fixtureTime, makeTreeFixture } from '@lading/testkit/layer-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuildLayerOptions, buildLayer } from '../src/index.js';

const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function build(dir: string, options: BuildLayerOptions) {
  const store = createMemoryStore();
  const layer = await buildLayer(dir, store, options);
  const parts: Uint8Array[] = [];
  for await (const c of store.read({ digest: layer.descriptor.digest })) parts.push(c);
  return { layer, blob: Buffer.concat(parts) };
}

/** Deterministic bytes that do not compress away, so a file spans several 4 MiB compression blocks. */
function noise(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i + 4 <= size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b.writeUInt32LE(x >>> 0, i);
  }
  // Some runs of repeated text too, so the compressor has work of both kinds.
  for (let i = 0; i < size; i += 65536) b.fill('lading ', i, Math.min(size, i + 16384));
  return b;
}

let tmp: TempDir;
let tree: string;
let copy: string;
beforeAll(async () => {
  tmp = await makeTempDir('lading-determinism-');
  tree = join(tmp.path, 'tree');
  makeTreeFixture(tree);
  writeFileSync(join(tree, 'etc/noise.bin'), noise(10 * 1024 * 1024 + 123, 7));
  utimesSync(join(tree, 'etc/noise.bin'), fixtureTime, fixtureTime);
  utimesSync(join(tree, 'etc'), fixtureTime + 100, fixtureTime + 100);
  // A copy elsewhere: other inode numbers, other creation order; cp -a keeps modes, times and hardlinks.
  copy = join(tmp.path, 'elsewhere', 'copy');
  execFileSync('mkdir', ['-p', join(tmp.path, 'elsewhere')]);
  execFileSync('cp', ['-a', tree, copy]);
});
afterAll(async () => {
  execFileSync('chmod', ['-R', 'u+rwx', tmp.path]);
  await tmp.cleanup();
});

describe('determinism', () => {
  it('gzip: the same bytes whatever the number of workers, across runs and across copies of the tree', async () => {
    const runs = [
      await build(tree, { compression: 'gzip', workers: 1 }),
      await build(tree, { compression: 'gzip', workers: 2 }),
      await build(tree, { compression: 'gzip', workers: 4 }),
      await build(tree, { compression: 'gzip', workers: 2 }),
      await build(copy, { compression: 'gzip', workers: 2 }),
    ];
    const first = runs[0] as (typeof runs)[number];
    // More than one compression block, or the worker count would not matter.
    expect(first.layer.uncompressedSize).toBeGreaterThan(2 * 4 * 1024 * 1024);
    for (const r of runs) {
      expect(r.layer.descriptor).toEqual(first.layer.descriptor);
      expect(r.layer.diffId).toBe(first.layer.diffId);
      expect(r.blob.equals(first.blob)).toBe(true);
    }
    // The blob is what its descriptor says, and one gzip stream of the tar of the diffID.
    expect(sha256(first.blob)).toBe(first.layer.descriptor.digest);
    expect(sha256(gunzipSync(first.blob))).toBe(first.layer.diffId);
  });

  it('zstd: the same bytes whatever the number of workers, and the same diffID as gzip and plain', async () => {
    const runs = [
      await build(tree, { compression: 'zstd', workers: 1 }),
      await build(tree, { compression: 'zstd', workers: 2 }),
      await build(tree, { compression: 'zstd', workers: 4 }),
      await build(copy, { compression: 'zstd', workers: 4 }),
    ];
    const first = runs[0] as (typeof runs)[number];
    for (const r of runs) {
      expect(r.layer.descriptor).toEqual(first.layer.descriptor);
      expect(r.blob.equals(first.blob)).toBe(true);
    }
    const plain = await build(tree, { compression: 'uncompressed' });
    const gzip = await build(tree, { compression: 'gzip' });
    expect(first.layer.diffId).toBe(plain.layer.diffId);
    expect(gzip.layer.diffId).toBe(plain.layer.diffId);
    expect(sha256(plain.blob)).toBe(plain.layer.diffId);
    expect(plain.layer.descriptor.digest).toBe(plain.layer.diffId);
    if (havePeers('zstd')) {
      const file = join(tmp.path, 'layer.zst');
      writeFileSync(file, first.blob);
      expect(sha256(execFileSync('zstd', ['-dc', file], { maxBuffer: 64 << 20 }))).toBe(plain.layer.diffId);
    }
  });

  it('uncompressed: the copy gives the same tar', async () => {
    const a = await build(tree, { compression: 'uncompressed' });
    const b = await build(copy, { compression: 'uncompressed' });
    expect(b.blob.equals(a.blob)).toBe(true);
  });
});

describe('epoch (SOURCE_DATE_EPOCH)', () => {
  /** path -> time (seconds since 1970) from GNU tar's listing of a plain tar. */
  function listedTimes(blob: Buffer): Map<string, number> {
    const file = join(tmp.path, `listing-${sha256(blob).slice(7, 19)}.tar`);
    writeFileSync(file, blob);
    const text = execFileSync('tar', ['--full-time', '--quoting-style=literal', '-tvf', file], {
      encoding: 'utf8',
      env: { ...process.env, TZ: 'UTC' },
    });
    const out = new Map<string, number>();
    for (const line of text.trimEnd().split('\n')) {
      const m = /^\S{10} \S+\s+\d+ (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (.*?)(?: -> .*| link to .*)?$/.exec(line);
      if (!m) throw new Error(`unexpected tar listing line: ${line}`);
      out.set(
        (m[2] as string).replace(/\/$/, ''),
        Date.parse(`${(m[1] as string).replace(' ', 'T')}Z`) / 1000,
      );
    }
    return out;
  }

  it.runIf(havePeers('tar'))('clamps later mtimes to the epoch and keeps earlier ones', async () => {
    const epoch = fixtureTime + 20;
    const { blob } = await build(tree, { compression: 'uncompressed', epoch });
    const listed = listedTimes(blob);
    const walk = (rel: string): string[] =>
      readdirSync(join(tree, rel)).flatMap((n) => {
        const r = rel ? `${rel}/${n}` : n;
        return lstatSync(join(tree, r)).isDirectory() ? [r, ...walk(r)] : [r];
      });
    const paths = walk('');
    expect([...listed.keys()].sort()).toEqual([...paths].sort());
    let clamped = 0;
    for (const p of paths) {
      const own = Math.floor(lstatSync(join(tree, p)).mtimeMs / 1000);
      expect([p, listed.get(p)]).toEqual([p, Math.min(own, epoch)]);
      if (own > epoch) clamped++;
    }
    // The fixture has times on both sides of the epoch.
    expect(clamped).toBeGreaterThan(0);
    expect(clamped).toBeLessThan(paths.length);
    // A Date gives the same layer as seconds.
    const asDate = await build(tree, { compression: 'uncompressed', epoch: new Date(epoch * 1000) });
    expect(asDate.blob.equals(blob)).toBe(true);
  });

  it('an epoch after every mtime changes nothing; a bad epoch is an InvalidInputError', async () => {
    const plain = await build(tree, { compression: 'uncompressed' });
    const late = await build(tree, { compression: 'uncompressed', epoch: fixtureTime + 1_000_000 });
    expect(late.blob.equals(plain.blob)).toBe(true);
    for (const epoch of [-1, Number.NaN]) {
      const error = await build(tree, { compression: 'uncompressed', epoch }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidInputError);
    }
  });
});
