import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryStore, type FullStore } from '@lading/content-store';
import { isDigest, isLadingError } from '@lading/digest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MetadataKey } from './keys.js';
import type { ExportContext, Exporter, ExportSource } from './types.js';

export interface ConformanceOptions {
  /** Attributes for a successful export (a dest, a name...), given a fresh temporary directory. */
  readonly attrs?: (dir: string) => Record<string, string>;
}

/** A one-layer source (a small tree with a file and a directory), its blobs in `store`. */
export async function makeConformanceSource(store: FullStore): Promise<ExportSource> {
  const { buildLayer } = await import('@lading/layer');
  const tree = await mkdtemp(join(tmpdir(), 'lading-conformance-'));
  try {
    await mkdir(join(tree, 'etc'));
    await writeFile(join(tree, 'etc', 'hello.txt'), 'hello from the conformance kit\n');
    const layer = await buildLayer(tree, store, { epoch: 0 });
    const config = new TextEncoder().encode(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: { Env: ['A=1'] },
        rootfs: { type: 'layers', diff_ids: [] },
      }),
    );
    return {
      ref: {
        config,
        layers: [layer],
        layerMeta: [{ createdAt: '2024-01-01T00:00:00Z', description: 'conformance' }],
      },
      metadata: { [MetadataKey.imageConfig]: config },
      provider: store,
    };
  } finally {
    await rm(tree, { recursive: true, force: true });
  }
}

function quietContext(store: FullStore, signal: AbortSignal): ExportContext & { events: string[] } {
  const events: string[] = [];
  return {
    store,
    signal,
    events,
    progress: {
      start: (id, name) => events.push(`start ${id} ${name}`),
      update: () => {},
      done: (id) => events.push(`done ${id}`),
    },
    logger: { warn: () => {}, debug: () => {} },
  };
}

/**
 * The behaviour every exporter (lading's and third-party) must show: a well-formed shape, typed option errors,
 * string responses with valid digests, an aborted signal honoured, and progress steps closed.
 */
export function describeExporterConformance(
  name: string,
  exporter: Exporter,
  makeSource: (store: FullStore) => Promise<ExportSource> = makeConformanceSource,
  options: ConformanceOptions = {},
): void {
  describe(`exporter conformance: ${name}`, () => {
    let dir: string;
    let store: FullStore;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'lading-exporter-conf-'));
      store = createMemoryStore();
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });
    const attrs = () => options.attrs?.(dir) ?? {};
    const env = () => ({ cwd: dir, env: {} });

    it('has a type name and a resolve function', () => {
      expect(typeof exporter.name).toBe('string');
      expect(exporter.name).toMatch(/^[a-z0-9][a-z0-9._-]*$/);
      expect(typeof exporter.resolve).toBe('function');
      if (exporter.specificationVersion !== undefined)
        expect(Number.isInteger(exporter.specificationVersion)).toBe(true);
    });

    it('resolves its attributes to an instance with a name', async () => {
      const instance = await exporter.resolve(attrs(), env());
      expect(typeof instance.name).toBe('string');
      expect(typeof instance.export).toBe('function');
    });

    it('refuses a non-bool value for a boolean attribute with a typed error, or ignores unknown keys', async () => {
      let error: unknown;
      try {
        await exporter.resolve({ ...attrs(), 'conformance.unknown-key': 'x' }, env());
      } catch (e) {
        error = e;
      }
      if (error !== undefined) expect(isLadingError(error)).toBe(true);
    });

    it('exports a one-layer image: string responses, valid digests, progress closed', async () => {
      const source = await makeSource(store);
      const instance = await exporter.resolve(attrs(), env());
      const ctx = quietContext(store, new AbortController().signal);
      const result = await instance.export(source, ctx);
      for (const [k, v] of Object.entries(result.response)) {
        expect(typeof k).toBe('string');
        expect(typeof v).toBe('string');
      }
      for (const key of ['containerimage.digest', 'containerimage.config.digest']) {
        const v = result.response[key];
        if (v !== undefined) expect(isDigest(v)).toBe(true);
      }
      if (result.descriptor) expect(isDigest(result.descriptor.digest)).toBe(true);
      await result.finalize?.();
      const started = ctx.events.filter((e) => e.startsWith('start ')).map((e) => e.split(' ')[1]);
      const done = new Set(ctx.events.filter((e) => e.startsWith('done ')).map((e) => e.split(' ')[1]));
      for (const id of started) expect(done.has(id)).toBe(true);
    });

    it('rejects when the signal is already aborted', async () => {
      const source = await makeSource(store);
      const instance = await exporter.resolve(attrs(), env());
      const controller = new AbortController();
      controller.abort(Object.assign(new Error('stop'), { name: 'AbortError' }));
      await expect(instance.export(source, quietContext(store, controller.signal))).rejects.toBeTruthy();
    });
  });
}
