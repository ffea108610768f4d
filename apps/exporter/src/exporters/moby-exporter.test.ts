import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryStore, type FullStore } from '@lading/content-store';
import { exitCodeFor, InvalidInputError, OptionError } from '@lading/digest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeExporterConformance, makeConformanceSource } from '../plugin/conformance.js';
import type { ExportContext, ExportSource } from '../plugin/types.js';
import { createMobyExporter } from './moby-exporter.js';

/** Where dockerd (vfs, the default driver) keeps image configs and names under its data-root. */
const stores = (root: string) => ({
  content: join(root, 'image', 'vfs', 'imagedb', 'content', 'sha256'),
  repositories: join(root, 'image', 'vfs', 'repositories.json'),
});

let dir: string;
let store: FullStore;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lading-moby-'));
  store = createMemoryStore();
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function ctx(events: string[] = [], warnings: string[] = []): ExportContext {
  return {
    store,
    signal: new AbortController().signal,
    progress: { start: (_id, name) => events.push(name), update: () => {}, done: () => {} },
    logger: { warn: (m) => warnings.push(m), debug: () => {} },
  };
}

const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('type=moby', () => {
  it('stores the config under its image ID, the layer in the layer store, and tags every name in repositories.json', async () => {
    const source = await makeConformanceSource(store);
    const events: string[] = [];
    const instance = await createMobyExporter({ root: dir }).resolve(
      { name: 'hello,example.com/team/app:1' },
      { cwd: dir, env: {} },
    );
    expect(instance.name).toBe('exporting to image');
    const { response } = await instance.export(source, ctx(events));
    const id = response['containerimage.digest'] as string;
    const paths = stores(dir);
    const config = await readFile(join(paths.content, id.slice(7)));
    expect(sha256(config)).toBe(id);
    const parsed = JSON.parse(config.toString());
    expect(parsed.rootfs.diff_ids).toEqual([source.ref?.layers[0]?.diffId]);
    expect(parsed.history).toHaveLength(1);
    expect(parsed.history[0].created_by).toBe('conformance');
    expect(parsed.history[0].comment).toBe('buildkit.exporter.image.v0');
    const repos = JSON.parse(await readFile(paths.repositories, 'utf8'));
    // moby keys repositories.json by familiar names
    expect(repos.Repositories.hello['hello:latest']).toBe(id);
    expect(repos.Repositories['example.com/team/app']['example.com/team/app:1']).toBe(id);
    const diffId = source.ref?.layers[0]?.diffId as string;
    const layer = join(dir, 'image', 'vfs', 'layerdb', 'sha256', diffId.slice(7));
    expect(await readFile(join(layer, 'diff'), 'utf8')).toBe(diffId);
    const cacheId = await readFile(join(layer, 'cache-id'), 'utf8');
    expect(await readFile(join(dir, 'vfs', 'dir', cacheId, 'etc', 'hello.txt'), 'utf8')).toBe(
      'hello from the conformance kit\n',
    );
    expect(events).toEqual([
      'exporting layers',
      `writing layer ${diffId}`,
      `writing image ${id}`,
      'naming to docker.io/library/hello',
      'naming to example.com/team/app:1',
    ]);
  });

  it('uses the empty config when the source has none', async () => {
    const instance = await createMobyExporter({ root: dir }).resolve({}, { cwd: dir, env: {} });
    const { response } = await instance.export({ metadata: {}, provider: store }, ctx());
    const id = response['containerimage.digest'] as string;
    const config = JSON.parse(await readFile(join(stores(dir).content, id.slice(7)), 'utf8'));
    // Go marshals the nil DiffIDs slice of an empty export as null.
    expect(config.rootfs).toEqual({ type: 'layers', diff_ids: null });
    expect(config.config.WorkingDir).toBe('/');
    expect(config.config.Env[0]).toMatch(/^PATH=/);
  });

  it('a bad name is an OptionError naming the key', async () => {
    const e = await Promise.resolve()
      .then(() => createMobyExporter({ root: dir }).resolve({ name: 'ok,UPPER/Case' }, { cwd: dir, env: {} }))
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(OptionError);
    expect((e as OptionError).key).toBe('name');
  });

  it('warns about unknown options, as moby logs them', async () => {
    const warnings: string[] = [];
    const instance = await createMobyExporter({ root: dir }).resolve({ bogus: '1' }, { cwd: dir, env: {} });
    await instance.export({ metadata: {}, provider: store }, ctx([], warnings));
    expect(warnings).toContain('image exporter: unknown option bogus');
  });

  describe('the checks moby makes on Ref and Refs', () => {
    const image = { layers: [] };
    const cases: [string, () => ExportSource, string][] = [
      [
        'several refs',
        () => ({ refs: { a: image, b: image }, metadata: {}, provider: store }),
        'exporting multiple references to image store is currently unsupported',
      ],
      [
        'Ref and Refs',
        () => ({ ref: image, refs: { a: image }, metadata: {}, provider: store }),
        'invalid exporter input: Ref and Refs are mutually exclusive',
      ],
      [
        'no platforms mapping',
        () => ({ refs: { a: image }, metadata: {}, provider: store }),
        'cannot export image, missing platforms mapping',
      ],
      [
        'bad platforms JSON',
        () => ({
          refs: { a: image },
          metadata: { 'refs.platforms': new TextEncoder().encode('{') },
          provider: store,
        }),
        'failed to parse platforms passed to exporter',
      ],
      [
        'platform count',
        () => ({
          refs: { a: image },
          metadata: { 'refs.platforms': new TextEncoder().encode('{"Platforms":[]}') },
          provider: store,
        }),
        'number of platforms does not match references 0 1',
      ],
    ];
    it.each(cases)('%s', async (_label, make, message) => {
      const instance = await createMobyExporter({ root: dir }).resolve({}, { cwd: dir, env: {} });
      const e = await instance.export(make(), ctx()).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(InvalidInputError);
      expect((e as Error).message).toBe(message);
      expect(exitCodeFor(e)).toBe(3);
    });

    it('one ref per platform takes containerimage.config/<platformID>', async () => {
      const config = new TextEncoder().encode(
        '{"architecture":"arm64","os":"linux","rootfs":{"type":"layers"}}',
      );
      const instance = await createMobyExporter({ root: dir }).resolve({}, { cwd: dir, env: {} });
      const { response } = await instance.export(
        {
          refs: { 'linux/arm64': image },
          metadata: {
            'refs.platforms': new TextEncoder().encode('{"Platforms":[{"ID":"linux/arm64"}]}'),
            'containerimage.config/linux/arm64': config,
          },
          provider: store,
        },
        ctx(),
      );
      const id = response['containerimage.digest'] as string;
      const stored = JSON.parse(await readFile(join(stores(dir).content, id.slice(7)), 'utf8'));
      expect(stored.architecture).toBe('arm64');
    });
  });
});

describeExporterConformance(
  'moby',
  createMobyExporter({ root: join(tmpdir(), `lading-moby-conf-${process.pid}`) }),
);
