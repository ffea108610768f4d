import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryStore, type FullStore, readBlob } from '@lading/content-store';
import { OptionError, parseDigest } from '@lading/digest';
import { ImageStore } from '@lading/reference-store';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeExporterConformance, makeConformanceSource } from '../plugin/conformance.js';
import type { ExportContext } from '../plugin/types.js';
import { annotationsFor } from './annotations.js';
import { imageExporter, registryExporter, resolveImageAttrs } from './image-exporter.js';

let dir: string;
let store: FullStore;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lading-image-'));
  store = createMemoryStore();
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});
const env = () => ({ cwd: dir, env: {} });
const ctx = (events: string[] = []): ExportContext => ({
  store,
  signal: new AbortController().signal,
  progress: { start: (_id, name) => events.push(name), update: () => {}, done: () => {} },
  logger: { warn: () => {}, debug: () => {} },
});

describe('type=image attributes', () => {
  it.each([
    'push',
    'push-by-digest',
    'registry.insecure',
    'unpack',
    'name-canonical',
    'oci-mediatypes',
    'force-compression',
    'store',
  ])('%s: "" is true, a non-bool is an OptionError naming it', (key) => {
    const attrs = key === 'push' ? { name: 'x' } : {};
    const opts = resolveImageAttrs({ ...attrs, [key]: '' }, env(), {
      pushDefault: false,
    }) as unknown as Record<string, unknown>;
    const field = {
      push: 'push',
      'push-by-digest': 'pushByDigest',
      'registry.insecure': 'insecure',
      unpack: 'unpack',
      'name-canonical': 'nameCanonical',
      'oci-mediatypes': 'oci',
      'force-compression': 'forceCompression',
      store: 'store',
    }[key] as string;
    expect(opts[field]).toBe(true);
    let error: unknown;
    try {
      resolveImageAttrs({ ...attrs, [key]: 'maybe' }, env(), { pushDefault: false });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OptionError);
    expect((error as OptionError).key).toBe(key);
    expect((error as Error).message).toContain(`non-bool value specified for ${key}`);
  });

  it('compression: uncompressed, gzip, zstd; anything else is the error BuildKit gives', () => {
    for (const c of ['uncompressed', 'gzip', 'zstd']) {
      expect(resolveImageAttrs({ compression: c }, env(), { pushDefault: false }).compression).toBe(c);
    }
    expect(() => resolveImageAttrs({ compression: 'lz4' }, env(), { pushDefault: false })).toThrow(
      'unsupported layer compression type: lz4',
    );
  });

  it('compression-level is an integer within the compression range', () => {
    expect(
      resolveImageAttrs({ compression: 'zstd', 'compression-level': '19' }, env(), { pushDefault: false })
        .compressionLevel,
    ).toBe(19);
    expect(() =>
      resolveImageAttrs({ compression: 'gzip', 'compression-level': '19' }, env(), { pushDefault: false }),
    ).toThrow(/out of range/);
    expect(() => resolveImageAttrs({ 'compression-level': 'high' }, env(), { pushDefault: false })).toThrow(
      /non-integer/,
    );
  });

  it('annotation.KEY becomes a manifest annotation; other unknown keys pass to metadata', () => {
    const o = resolveImageAttrs({ 'annotation.org.example': 'v', 'build-arg:x': '1' }, env(), {
      pushDefault: false,
    });
    expect(annotationsFor(o.annotations).manifest).toEqual({ 'org.example': 'v' });
    expect(new TextDecoder().decode(o.meta['build-arg:x'])).toBe('1');
    expect(() => resolveImageAttrs({ 'annotation.': 'v' }, env(), { pushDefault: false })).toThrow(
      OptionError,
    );
  });

  it('push needs a name; type=registry pushes by default', () => {
    expect(() => resolveImageAttrs({ push: 'true' }, env(), { pushDefault: false })).toThrow(
      /push needs a name/,
    );
    expect(resolveImageAttrs({ name: 'a' }, env(), { pushDefault: true }).push).toBe(true);
    expect(resolveImageAttrs({ name: 'a', push: 'false' }, env(), { pushDefault: true }).push).toBe(false);
  });

  it('source-date-epoch must be whole seconds', () => {
    expect(
      resolveImageAttrs({ 'source-date-epoch': '10' }, env(), { pushDefault: false }).epoch?.getTime(),
    ).toBe(10_000);
    expect(() => resolveImageAttrs({ 'source-date-epoch': 'soon' }, env(), { pushDefault: false })).toThrow(
      OptionError,
    );
  });
});

describe('type=image export', () => {
  it('writes the image, names each name (created, then updated), responds like BuildKit', async () => {
    const source = await makeConformanceSource(store);
    const events: string[] = [];
    const instance = await imageExporter.resolve({ name: 'a:1,b:1', 'annotation.k': 'v' }, env());
    const { response } = await instance.export(source, ctx(events));
    const digest = response['containerimage.digest'] as string;
    expect(response['image.name']).toBe('a:1,b:1');
    const images = new ImageStore(store);
    expect((await images.get('a:1')).target.digest).toBe(digest);
    expect((await images.get('b:1')).target.digest).toBe(digest);
    const manifest = JSON.parse(
      new TextDecoder().decode(await readBlob(store, { digest: parseDigest(digest) })),
    );
    expect(manifest.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(manifest.config.digest).toBe(response['containerimage.config.digest']);
    expect(manifest.annotations).toEqual({ k: 'v' });
    expect(events).toEqual(['exporting layers', 'naming to a:1', 'naming to b:1']);
    // a second export updates the names; the temporary lease is gone
    const again = await (
      await imageExporter.resolve({ name: 'a:1', 'oci-mediatypes': 'true' }, env())
    ).export(source, ctx());
    expect((await images.get('a:1')).target.digest).toBe(again.response['containerimage.digest']);
    expect(again.response['containerimage.digest']).not.toBe(digest);
    expect(await store.listLeases()).toEqual([]);
  });

  it('name-canonical adds NAME@DIGEST; dangling-name-prefix names an unnamed image PREFIX@DIGEST', async () => {
    const source = await makeConformanceSource(store);
    const a = await (await imageExporter.resolve({ name: 'c:1', 'name-canonical': '' }, env())).export(
      source,
      ctx(),
    );
    const d = a.response['containerimage.digest'];
    const images = new ImageStore(store);
    expect((await images.get(`c:1@${d}`)).target.digest).toBe(d);
    const b = await (await imageExporter.resolve({ 'dangling-name-prefix': 'dangling' }, env())).export(
      source,
      ctx(),
    );
    expect(b.response['image.name']).toBe(`dangling@${b.response['containerimage.digest']}`);
  });

  it('name=* takes the name from the source metadata; store=false names nothing', async () => {
    const source = await makeConformanceSource(store);
    const withName = {
      ...source,
      metadata: { ...source.metadata, 'image.name': new TextEncoder().encode('from-meta:1') },
    };
    const r = await (await imageExporter.resolve({ name: '*' }, env())).export(withName, ctx());
    expect(r.response['image.name']).toBe('from-meta:1');
    const s = await (await imageExporter.resolve({ name: 'unstored:1', store: 'false' }, env())).export(
      source,
      ctx(),
    );
    expect(s.response['image.name']).toBe('unstored:1');
    await expect(new ImageStore(store).get('unstored:1')).rejects.toMatchObject({
      kind: 'not-found',
      code: 'IMAGE_NOT_FOUND',
    });
  });

  it('unpack writes the rootfs', async () => {
    const source = await makeConformanceSource(store);
    const target = join(dir, 'rootfs');
    await (await imageExporter.resolve({ name: 'u:1', unpack: 'true', 'unpack-dir': target }, env())).export(
      source,
      ctx(),
    );
    expect(await readdir(target)).toEqual(['etc']);
    expect(await readFile(join(target, 'etc', 'hello.txt'), 'utf8')).toBe('hello from the conformance kit\n');
  });

  it('unpack-max-entries and unpack-max-bytes cap the unpack; bad values are an OptionError', async () => {
    const source = await makeConformanceSource(store);
    const attrs = { name: 'u:2', unpack: 'true', 'unpack-dir': join(dir, 'capped') };
    await expect(
      (await imageExporter.resolve({ ...attrs, 'unpack-max-entries': '1' }, env())).export(source, ctx()),
    ).rejects.toMatchObject({ code: 'UNPACK_TOO_MANY_ENTRIES' });
    await expect(
      (await imageExporter.resolve({ ...attrs, 'unpack-max-bytes': '3' }, env())).export(source, ctx()),
    ).rejects.toMatchObject({ code: 'UNPACK_TOO_LARGE' });
    expect(() => imageExporter.resolve({ ...attrs, 'unpack-max-bytes': 'many' }, env())).toThrow(
      expect.objectContaining({ code: 'ATTR_NOT_INT' }),
    );
  });
});

describeExporterConformance('image', imageExporter, undefined, { attrs: () => ({ name: 'conformance:1' }) });
describeExporterConformance('registry (push=false)', registryExporter, undefined, {
  attrs: () => ({ name: 'conformance:1', push: 'false' }),
});
