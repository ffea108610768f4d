import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryStore, type FullStore } from '@lading/content-store';
import { OptionError } from '@lading/digest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeExporterConformance, makeConformanceSource } from '../plugin/conformance.js';
import type { ExportContext } from '../plugin/types.js';
import { dockerExporter, layoutRefName, ociExporter } from './oci-exporter.js';

let dir: string;
let store: FullStore;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lading-oci-'));
  store = createMemoryStore();
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});
const env = () => ({ cwd: dir, env: {} });
const ctx = (): ExportContext => ({
  store,
  signal: new AbortController().signal,
  progress: { start: () => {}, update: () => {}, done: () => {} },
  logger: { warn: () => {}, debug: () => {} },
});
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function untar(file: string): Promise<string> {
  const out = join(dir, 'x');
  await mkdir(out);
  execFileSync('tar', ['-xf', file, '-C', out]);
  return out;
}

describe('type=oci and type=docker', () => {
  it('a directory needs dest (a tarball without one goes to stdout); type=docker refuses tar=false', () => {
    expect(() => ociExporter.resolve({ tar: 'false' }, env())).toThrow(OptionError);
    expect(() => ociExporter.resolve({ tar: 'false', dest: '-' }, env())).toThrow(/needs dest=DIR/);
    expect(() => ociExporter.resolve({}, env())).not.toThrow();
    expect(() => dockerExporter.resolve({ dest: 'x', tar: 'false' }, env())).toThrow(/tarball only/);
    expect(() => ociExporter.resolve({ dest: 'x', tar: 'nope' }, env())).toThrow(
      /non-bool value specified for tar/,
    );
  });

  it('layoutRefName takes the tag', () => {
    expect(layoutRefName('hello:1')).toBe('1');
    expect(layoutRefName('localhost:5000/a/b:2')).toBe('2');
    expect(layoutRefName('hello')).toBe('hello');
  });

  it('tar=false writes a layout directory with the ref name; GNU tar reads the tarball, blobs match digests', async () => {
    const source = await makeConformanceSource(store);
    const d = await (
      await ociExporter.resolve({ dest: 'layout', tar: 'false', name: 'hello:1' }, env())
    ).export(source, ctx());
    const index = JSON.parse(await readFile(join(dir, 'layout', 'index.json'), 'utf8'));
    expect(index.manifests).toHaveLength(1);
    expect(index.manifests[0].digest).toBe(d.response['containerimage.digest']);
    expect(index.manifests[0].annotations['org.opencontainers.image.ref.name']).toBe('1');

    const t = await (await ociExporter.resolve({ dest: 'img.tar', name: 'hello:1' }, env())).export(
      source,
      ctx(),
    );
    expect(t.response['containerimage.digest']).toBe(d.response['containerimage.digest']);
    const x = await untar(join(dir, 'img.tar'));
    const tindex = JSON.parse(await readFile(join(x, 'index.json'), 'utf8'));
    // As BuildKit (containerd's archive exporter): the normalised name beside the tag.
    expect(tindex.manifests[0].annotations['io.containerd.image.name']).toBe('docker.io/library/hello:1');
    expect(tindex.manifests[0].annotations['org.opencontainers.image.ref.name']).toBe('1');
    const manifestHex = (t.response['containerimage.digest'] as string).slice(7);
    const manifestBytes = await readFile(join(x, 'blobs', 'sha256', manifestHex));
    expect(sha256(manifestBytes)).toBe(manifestHex);
    const manifest = JSON.parse(manifestBytes.toString());
    expect(manifest.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    for (const l of [manifest.config, ...manifest.layers]) {
      const hex = l.digest.slice(7);
      expect(sha256(await readFile(join(x, 'blobs', 'sha256', hex)))).toBe(hex);
    }
    expect(JSON.parse(await readFile(join(x, 'oci-layout'), 'utf8'))).toEqual({
      imageLayoutVersion: '1.0.0',
    });
  });

  it('type=docker writes manifest.json and repositories with Docker names and media types', async () => {
    const source = await makeConformanceSource(store);
    const r = await (await dockerExporter.resolve({ dest: 'd.tar', name: 'hello:1' }, env())).export(
      source,
      ctx(),
    );
    const x = await untar(join(dir, 'd.tar'));
    const manifestJson = JSON.parse(await readFile(join(x, 'manifest.json'), 'utf8'));
    expect(manifestJson[0].RepoTags).toEqual(['hello:1']);
    expect(manifestJson[0].Config).toBe(
      `blobs/sha256/${(r.response['containerimage.config.digest'] as string).slice(7)}`,
    );
    const repos = JSON.parse(await readFile(join(x, 'repositories'), 'utf8'));
    expect(Object.keys(repos)).toEqual(['hello']);
    const manifest = JSON.parse(
      await readFile(
        join(x, 'blobs', 'sha256', (r.response['containerimage.digest'] as string).slice(7)),
        'utf8',
      ),
    );
    expect(manifest.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(manifest.layers[0].mediaType).toBe('application/vnd.docker.image.rootfs.diff.tar.gzip');
  });

  it('source-date-epoch clamps the config times', async () => {
    const source = await makeConformanceSource(store);
    const r = await (
      await ociExporter.resolve({ dest: 'e', tar: 'false', 'source-date-epoch': '0' }, env())
    ).export(source, ctx());
    const cfgHex = (r.response['containerimage.config.digest'] as string).slice(7);
    const config = JSON.parse(await readFile(join(dir, 'e', 'blobs', 'sha256', cfgHex), 'utf8'));
    expect(config.created).toBe('1970-01-01T00:00:00Z');
    expect(config.history[0].created).toBe('1970-01-01T00:00:00Z');
  });
});

describeExporterConformance('oci', ociExporter, undefined, { attrs: (d) => ({ dest: join(d, 'out.tar') }) });
describeExporterConformance('oci tar=false', ociExporter, undefined, {
  attrs: (d) => ({ dest: join(d, 'layout'), tar: 'false' }),
});
describeExporterConformance('docker', dockerExporter, undefined, {
  attrs: (d) => ({ dest: join(d, 'out.tar'), name: 'x:1' }),
});
