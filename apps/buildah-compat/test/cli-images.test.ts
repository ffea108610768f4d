import { existsSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { newRoot, scratchWithSrc, storedImage, useCliFixture } from './cli-fixture.js';
import { ladingBuildah, lb } from './helpers.js';

useCliFixture();

describe('images, tag, rmi, inspect', () => {
  it('lists, tags, untags and removes like buildah; an image in use is kept', async () => {
    const root = newRoot();
    const c = await scratchWithSrc(root);
    const id = await lb(root, ['commit', '-q', c, 'one']);
    await lb(root, ['tag', 'one', 'two:v2', 'quay.io/x/y:z']);
    const table = (await lb(root, ['images'])).split('\n');
    expect(table[0]).toMatch(/^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
    expect(table.slice(1).map((l) => l.split(/\s+/).slice(0, 3))).toEqual([
      ['localhost/one', 'latest', id.slice(0, 12)],
      ['localhost/two', 'v2', id.slice(0, 12)],
      ['quay.io/x/y', 'z', id.slice(0, 12)],
    ]);
    expect(await lb(root, ['images', '-q'])).toBe(id.slice(0, 12));
    expect(await lb(root, ['images', '--digests'])).toContain('sha256:');
    const json = JSON.parse(await lb(root, ['images', '--json'])) as { id: string; names: string[] }[];
    expect(json).toHaveLength(1);
    expect(json[0]?.names).toEqual(['localhost/one:latest', 'localhost/two:v2', 'quay.io/x/y:z']);
    const inspected = JSON.parse(await lb(root, ['inspect', '--type', 'image', 'two:v2']));
    expect(inspected.FromImageID).toBe(id);
    const ci = JSON.parse(await lb(root, ['inspect', c]));
    expect(ci.Container).toBe(c);
    expect((await ladingBuildah(root, ['inspect', 'nothing'])).code).toBe(4);
    expect(await lb(root, ['rmi', 'two:v2'])).toBe('untagged: localhost/two:v2');
    const c2 = await lb(root, ['from', 'one']);
    const inUse = await ladingBuildah(root, ['rmi', id]);
    expect(inUse.code).toBe(3);
    expect(inUse.stderr).toContain(c2);
    await lb(root, ['rm', c2]);
    const removed = await lb(root, ['rmi', id.slice(0, 12)]);
    expect(removed.split('\n')).toContain(id);
    expect(await lb(root, ['images', '-q'])).toBe('');
    expect((await ladingBuildah(root, ['rmi', 'one'])).code).toBe(4);
  });
});

describe('rmi --prune', () => {
  it('removes the blobs of removed images and keeps every blob a remaining image or container needs', async () => {
    const root = newRoot();
    const c = await scratchWithSrc(root);
    const keep = await lb(root, ['commit', '-q', c, 'keep']);
    await writeFile(join(await lb(root, ['mount', c]), 'extra'), 'x\n');
    const gone = await lb(root, ['commit', '-q', c, 'gone']);
    const blobsDir = join(root, 'blobs', 'blobs', 'sha256');
    const before = new Set(await readdir(blobsDir));
    const goneImage = await storedImage(root, gone);
    const keepImage = await storedImage(root, keep);
    await lb(root, ['rmi', 'gone']);
    await lb(root, ['rmi', '--prune']);
    const after = new Set(await readdir(blobsDir));
    const needed = [
      keepImage.record.manifest.digest,
      keepImage.manifest.config.digest,
      ...keepImage.manifest.layers.map((l) => l.digest),
    ];
    for (const d of needed) expect(after.has(d.slice(7))).toBe(true);
    for (const d of [goneImage.manifest.config.digest, goneImage.manifest.layers[0]?.digest as string]) {
      expect(before.has(d.slice(7))).toBe(true);
      expect(after.has(d.slice(7))).toBe(false);
    }
    // The image still reads whole: a commit of a container from it works.
    const c2 = await lb(root, ['from', 'keep']);
    expect(await lb(root, ['commit', '-q', c2])).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('push wiring', () => {
  it('refuses an unknown image and a bad format before any transfer', async () => {
    const root = newRoot();
    const missing = await ladingBuildah(root, ['push', 'nothing', 'oci:/tmp/never']);
    expect(missing.code).toBe(4);
    const c = await scratchWithSrc(root);
    await lb(root, ['commit', '-q', c, 'img']);
    const badFormat = await ladingBuildah(root, ['push', '--format', 'v1', 'img', 'oci:/tmp/never']);
    expect(badFormat.code).toBe(2);
    const badRetry = await ladingBuildah(root, ['push', '--retry-delay', 'soon', 'img', 'oci:/tmp/never']);
    expect(badRetry.code).toBe(2);
    expect(existsSync('/tmp/never')).toBe(false);
  });
});
