// A two-layer runnable image for the data-root tests (busybox, then a layer with whiteouts, an opaque directory, a
// hard link and a PAX long name), a third layer for a second image on the same base, and what the tests compare
// driver directories and layer stores with.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chownSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { createMemoryStore, type FullStore } from '@lading/content-store';
import { buildLayer, type Layer, writeLayer } from '@lading/layer';
import { writeBusyboxRootfs } from '@lading/testkit';
import { rawTar } from '@lading/testkit/layer-fixtures';
import { getAttributeSync } from '@napi-rs/xattr';

export const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export interface FixtureImage {
  readonly config: Uint8Array;
  readonly layers: readonly Layer[];
  /** sha256 of the config, computed here. */
  readonly id: string;
}

export interface Fixture {
  readonly store: FullStore;
  readonly base: Layer;
  readonly upper: Layer;
  readonly extra: Layer;
  /** base + upper: `cat /etc/new` prints "new". */
  readonly image1: FixtureImage;
  /** base + extra: `/app/run.sh` prints "app2". */
  readonly image2: FixtureImage;
  /** The upper layer's tar, as written here. */
  readonly upperTar: Buffer;
  image(layers: readonly Layer[], cmd: readonly string[]): FixtureImage;
}

export function imageOf(layers: readonly Layer[], cmd: readonly string[]): FixtureImage {
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Env: ['PATH=/bin'], Cmd: cmd, WorkingDir: '/' },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: layers.map((_, i) => ({ created: '2024-01-01T00:00:00Z', created_by: `layer ${i}` })),
    }),
  );
  return { config, layers, id: sha256(config) };
}

const fromBuffer = (b: Buffer) => Readable.from([b]);

export async function makeFixture(dir: string): Promise<Fixture> {
  const store = createMemoryStore();
  const tree = join(dir, 'base');
  mkdirSync(tree, { recursive: true });
  writeBusyboxRootfs(tree);
  writeFileSync(join(tree, 'etc', 'hello'), 'hello\n');
  writeFileSync(join(tree, 'etc', 'gone'), 'to be whited out\n');
  symlinkSync('hello', join(tree, 'etc', 'hello-link'));
  mkdirSync(join(tree, 'opq'));
  writeFileSync(join(tree, 'opq', 'a'), 'a\n');
  writeFileSync(join(tree, 'opq', 'b'), 'b\n');
  mkdirSync(join(tree, 'home', 'user'), { recursive: true });
  writeFileSync(join(tree, 'home', 'user', 'owned'), 'owned by 1000\n');
  chownSync(join(tree, 'home', 'user', 'owned'), 1000, 1000);
  execFileSync('mkfifo', [join(tree, 'etc', 'fifo')]);
  const base = await buildLayer(tree, store, { epoch: 0 });
  const upperTar = rawTar([
    { name: 'etc/', type: '5' },
    { name: 'etc/.wh.gone' },
    { name: 'etc/new', content: 'new\n' },
    { name: 'etc/new-hard', type: '1', linkname: 'etc/new' },
    { name: 'opq/', type: '5' },
    { name: 'opq/.wh..wh..opq' },
    { name: 'opq/c', content: 'c\n' },
    { name: 'deep/', type: '5' },
    { name: `deep/${'x'.repeat(120)}`, content: 'a long name\n', pax: true },
    { name: 'empty', content: '' },
  ]);
  const upper = await writeLayer(fromBuffer(upperTar), store, { compression: 'gzip' });
  const extraTar = rawTar([
    { name: 'app/', type: '5' },
    { name: 'app/run.sh', content: '#!/bin/sh\necho app2\n', mode: 0o755 },
  ]);
  const extra = await writeLayer(fromBuffer(extraTar), store, { compression: 'gzip' });
  return {
    store,
    base,
    upper,
    extra,
    upperTar,
    image1: imageOf([base, upper], ['/bin/sh', '-c', 'cat /etc/new']),
    image2: imageOf([base, extra], ['/app/run.sh']),
    image: imageOf,
  };
}

/** Chain IDs as the image spec defines them, computed here. */
export function chainIdsOf(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) out.push(out.length === 0 ? d : sha256(Buffer.from(`${out.at(-1)} ${d}`)));
  return out;
}

/** The files of a layerdb entry dockerd reads (cache-id differs by nature; tar-split compared uncompressed). */
export function layerdbEntry(root: string, driver: string, chainId: string): Record<string, string> {
  const dir = join(root, 'image', driver, 'layerdb', 'sha256', chainId.slice('sha256:'.length));
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) {
    if (name === 'cache-id') continue;
    const bytes = readFileSync(join(dir, name));
    out[name] = name.endsWith('.gz') ? gunzipSync(bytes).toString('utf8') : bytes.toString('utf8');
  }
  return out;
}

export function cacheIdOf(root: string, driver: string, chainId: string): string {
  return readFileSync(
    join(root, 'image', driver, 'layerdb', 'sha256', chainId.slice('sha256:'.length), 'cache-id'),
    'utf8',
  ).trim();
}

/**
 * A driver directory as overlayfs or a container sees it: per path its type (character devices with their
 * numbers), mode, owner, size, content digest, link target and opaque marker. File and symlink times are kept;
 * directory times are not (a directory's time moves whenever an entry is made in it).
 */
export function driverTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const p = join(root, r);
      const st = lstatSync(p);
      const own = `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
      if (st.isDirectory()) {
        const opaque = getAttributeSync(p, 'trusted.overlay.opaque')?.toString();
        out[r] = `dir ${own}${opaque ? ` opaque=${opaque}` : ''}`;
        walk(r);
      } else if (st.isSymbolicLink())
        out[r] = `link ${own} ${readlinkSync(p)} ${Math.floor(st.mtimeMs / 1000)}`;
      else if (st.isCharacterDevice()) out[r] = `char ${own} ${st.rdev}`;
      else if (st.isFIFO()) out[r] = `fifo ${own} ${Math.floor(st.mtimeMs / 1000)}`;
      else out[r] = `file ${own} ${st.nlink} ${sha256(readFileSync(p))} ${Math.floor(st.mtimeMs / 1000)}`;
    }
  };
  walk('');
  return out;
}

/** Every path under a root (for "nothing was written" checks). */
export function listTree(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    let names: string[];
    try {
      names = readdirSync(join(root, rel)).sort();
    } catch {
      return;
    }
    for (const name of names) {
      const r = rel ? `${rel}/${name}` : name;
      out.push(r);
      if (lstatSync(join(root, r)).isDirectory()) walk(r);
    }
  };
  walk('');
  return out;
}
