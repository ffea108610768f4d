import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryStore, openLocalStore, writeBlob } from '@lading/content-store';
import { AnnotationRefName, InvalidInputError, MediaType, NotFoundError } from '@lading/digest';
import { afterAll, describe, expect, it } from 'vitest';
import { ImageStore } from './image-store.js';

const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const factories = {
  memory: async () => createMemoryStore(),
  local: async () => {
    const d = await mkdtemp(join(tmpdir(), 'lading-images-'));
    dirs.push(d);
    return openLocalStore(d);
  },
};

describe.each(Object.entries(factories))('ImageStore over a %s store', (_kind, make) => {
  it('creates, updates, lists with filters, deletes; mirrors into index.json', async () => {
    const store = await make();
    const a = await writeBlob(store, new TextEncoder().encode('{"a":1}'), {
      mediaType: MediaType.ociManifest,
    });
    const b = await writeBlob(store, new TextEncoder().encode('{"b":2}'), {
      mediaType: MediaType.ociManifest,
    });
    // An entry someone else put in index.json is left alone.
    await store.updateIndex((i) => ({
      ...i,
      manifests: [...i.manifests, { ...a, annotations: { [AnnotationRefName]: 'foreign' } }],
    }));
    const images = new ImageStore(store);
    const created = await images.create({
      name: 'docker.io/library/app:1',
      target: a,
      labels: { team: 'x' },
    });
    await expect(images.create({ name: 'docker.io/library/app:1', target: b })).rejects.toMatchObject({
      code: 'IMAGE_ALREADY_EXISTS',
    });
    await expect(images.update({ name: 'nope', target: b })).rejects.toBeInstanceOf(NotFoundError);
    const updated = await images.update({ name: 'docker.io/library/app:1', target: b });
    expect(updated.target).toEqual(b);
    expect(updated.labels).toEqual({ team: 'x' });
    expect(updated.createdAt.getTime()).toBe(created.createdAt.getTime());
    expect(updated.updatedAt.getTime()).toBeGreaterThanOrEqual(created.updatedAt.getTime());
    await images.put({ name: `app@${a.digest}`, target: a });
    expect((await images.list()).map((i) => i.name)).toEqual([`app@${a.digest}`, 'docker.io/library/app:1']);
    expect((await images.list({ prefix: 'docker.io/' })).map((i) => i.name)).toEqual([
      'docker.io/library/app:1',
    ]);
    expect((await images.list({ labels: { team: '*' } })).map((i) => i.name)).toEqual([
      'docker.io/library/app:1',
    ]);
    expect(await images.get('docker.io/library/app:1')).toMatchObject({ target: b });
    expect((await images.roots()).sort()).toEqual([a.digest, b.digest].sort());

    const index = await store.readIndex();
    const named = index.manifests.find(
      (m) => m.annotations?.[AnnotationRefName] === 'docker.io/library/app:1',
    );
    expect(named?.digest).toBe(b.digest);
    expect(index.manifests.some((m) => m.annotations?.[AnnotationRefName] === 'foreign')).toBe(true);

    await images.delete('docker.io/library/app:1');
    await expect(images.get('docker.io/library/app:1')).rejects.toBeInstanceOf(NotFoundError);
    await expect(images.delete('docker.io/library/app:1')).rejects.toBeInstanceOf(NotFoundError);
    await expect(images.create({ name: '', target: a })).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('named images survive gc; unnamed content does not', async () => {
    const store = await make();
    const kept = await writeBlob(store, new TextEncoder().encode('{"kept":1}'), {
      mediaType: MediaType.ociManifest,
    });
    const lost = await writeBlob(store, new TextEncoder().encode('{"lost":1}'), {
      mediaType: MediaType.ociManifest,
    });
    await new ImageStore(store).create({ name: 'keep:1', target: kept });
    const report = await store.gc();
    expect(report.removed).toContain(lost.digest);
    expect((await store.info(kept.digest)).digest).toBe(kept.digest);
  });
});
