import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createMemoryStore } from '@lading/content-store';
import { pullImage, RegistryClient, RegistryTarget } from '@lading/push';
import { exportCache, importCache } from '@lading/remote-cache';
import {
  havePeers,
  makeTempDir,
  type RunningDockerd,
  type RunningRegistry,
  run,
  startDockerd,
  startRegistry,
  type TempDir,
} from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuildkitVertex, buildkitVertices, debugLines, warnings } from './cache-helpers.js';
import { lading } from './helpers.js';

// BuildKit is the judge: dockerd 20.10's builder (BuildKit inside) imports the caches lading writes, and lading
// imports the inline cache of an image BuildKit built.
describe.runIf(havePeers('dockerd', 'docker', 'docker-registry', 'skopeo'))(
  'BuildKit and lading caches',
  () => {
    let dir: TempDir;
    let registry: RunningRegistry;
    let dockerd: RunningDockerd;
    let context: string;
    let app: string;
    let stores = 0;
    const env = () => ({ LADING_STORE: join(dir.path, `store-${++stores}`) });

    beforeAll(async () => {
      dir = await makeTempDir('lading-cache-buildkit-');
      [registry, dockerd] = await Promise.all([startRegistry(), startDockerd()]);
      // Two COPY steps on scratch: two layers, each its own cache record with a result.
      context = join(dir.path, 'context');
      await mkdir(context, { recursive: true });
      await writeFile(join(context, 'a.txt'), 'a\n');
      await writeFile(join(context, 'b.txt'), 'b\n');
      await writeFile(join(context, 'Dockerfile'), 'FROM scratch\nCOPY a.txt /a.txt\nCOPY b.txt /b.txt\n');
      app = join(dir.path, 'app');
      await mkdir(app, { recursive: true });
      await writeFile(join(app, 'main.txt'), 'lading\n');
    }, 120_000);
    afterAll(async () => {
      await dockerd?.stop();
      await registry?.stop();
      await dir?.cleanup();
    });

    /** Builds the context with these caches; returns BuildKit's vertices. A build error throws. */
    async function judge(cacheFrom: string[], tag: string): Promise<BuildkitVertex[]> {
      const trace = buildkitVertices();
      await dockerd.build(context, { tag, cacheFrom, onMessage: trace.onMessage });
      return trace.vertices();
    }
    const importVertex = (vertices: BuildkitVertex[], ref: string) =>
      vertices.find((v) => v.name === `importing cache manifest from ${ref}`);
    const copySteps = (vertices: BuildkitVertex[]) => vertices.filter((v) => v.name?.includes(' COPY '));

    /** The image BuildKit builds with an inline cache and docker pushes (once, for the tests that read it). */
    let inlineImage: Promise<string> | undefined;
    const buildkitImage = () => {
      inlineImage ??= (async () => {
        const image = `${registry.host}/bk/inline:1`;
        await dockerd.build(context, { tag: image, buildArgs: { BUILDKIT_INLINE_CACHE: '1' } });
        await dockerd.docker(['push', image]);
        return image;
      })();
      return inlineImage;
    };

    /** Forgets every build result and image, so a build can only be fast through an imported cache. */
    async function forget(): Promise<void> {
      await dockerd.docker(['builder', 'prune', '-af']);
      const ids = (await dockerd.docker(['images', '-aq'])).stdout.split('\n').filter(Boolean);
      if (ids.length > 0) await dockerd.docker(['rmi', '-f', ...new Set(ids)]);
    }

    it('lading reads the inline cache of an image BuildKit built (BUILDKIT_INLINE_CACHE=1) and docker pushed', async () => {
      const image = await buildkitImage();
      // The records BuildKit wrote, counted from the pushed config itself.
      const config = JSON.parse(
        (await run('skopeo', ['inspect', '--config', '--raw', '--tls-verify=false', `docker://${image}`]))
          .stdout,
      );
      const records = JSON.parse(Buffer.from(config['moby.buildkit.cache.v0'], 'base64').toString());
      expect(records.length).toBeGreaterThan(2);
      const r = await lading(
        [
          'export',
          app,
          '-o',
          'type=oci,dest=from-bk.tar',
          '--progress',
          'json',
          '--cache-from',
          `type=registry,ref=${image}`,
        ],
        { cwd: dir.path, env: env() },
      );
      expect(r.code).toBe(0);
      expect(warnings(r.stderr)).toEqual([]);
      expect(debugLines(r.stderr)).toContain(
        `imported registry ${image}: ${records.length} records, ${config.rootfs.diff_ids.length} layers (inline)`,
      );
    }, 180_000);

    it('BuildKit imports every form lading writes without an error; a missing one is its error', async () => {
      const forms: [string, string][] = [
        ['image-manifest', ''],
        ['oci-index', ',image-manifest=false'],
        ['manifest-list', ',oci-mediatypes=false'],
      ];
      const refs: string[] = [];
      for (const [form, attrs] of forms) {
        const ref = `${registry.host}/lading/cache-${form}:1`;
        const w = await lading(
          ['export', app, '-o', 'type=oci,dest=w.tar', '--cache-to', `type=registry,ref=${ref}${attrs}`],
          { cwd: dir.path, env: env() },
        );
        expect(w.code).toBe(0);
        refs.push(ref);
      }
      const inline = `${registry.host}/lading/inline:1`;
      const pushed = await lading(
        [
          'export',
          app,
          '-o',
          `type=registry,name=${inline},registry.insecure=true`,
          '--cache-to',
          'type=inline',
        ],
        { cwd: dir.path, env: env() },
      );
      expect(pushed.code).toBe(0);
      refs.push(inline);
      const missing = `${registry.host}/lading/missing:1`;

      const vertices = await judge([...refs, missing], 'judge:forms');
      for (const ref of refs) {
        const v = importVertex(vertices, ref);
        expect(v, ref).toBeDefined();
        expect(v?.completed, ref).toBe(true);
        expect(v?.error, ref).toBeUndefined();
      }
      // The control: the same reading of the trace sees BuildKit's error when there is one.
      expect(importVertex(vertices, missing)?.error).toMatch(/not found/);
    }, 240_000);

    it('BuildKit takes cache hits from the lists lading writes (BuildKit’s own records, re-exported)', async () => {
      // BuildKit's inline cache, imported by lading with the image's blobs ...
      const image = await buildkitImage();
      const store = createMemoryStore();
      const pulled = await pullImage(image, store);
      const imported = await importCache(store, pulled.descriptor);
      expect(imported.form).toBe('inline');
      // The control: after forget(), a build without a cache builds every step.
      await forget();
      const cold = copySteps(await judge([], 'judge:cold'));
      expect(cold).toHaveLength(2);
      expect(cold.some((s) => s.cached)).toBe(false);
      const client = new RegistryClient(registry.host);
      try {
        for (const [form, options] of [
          ['oci-index', { imageManifest: false }],
          ['manifest-list', { ociMediatypes: false }],
          ['image-manifest', {}],
        ] as const) {
          // ... written back by lading as a registry cache in this form,
          const repo = `relay/${form}`;
          const sink = new RegistryTarget(client, repo);
          const res = await exportCache(
            imported.chains,
            { sink, name: async (root, bytes) => void (await sink.tag(root, '1', { bytes })) },
            options,
          );
          expect(res.descriptor).toBeDefined();
          // ... then a builder that remembers nothing builds the same context from it alone.
          await forget();
          const ref = `${registry.host}/${repo}:1`;
          const vertices = await judge([ref], `judge:${form}`);
          expect(importVertex(vertices, ref)?.error, form).toBeUndefined();
          const steps = copySteps(vertices);
          expect(steps, form).toHaveLength(2);
          // BuildKit 0.8 (dockerd 20.10) predates the image-manifest form (BuildKit 0.12): it reads it as an image
          // without an inline cache, finds no records and builds, without an error. Newer BuildKit takes the hits.
          const hits = steps.filter((s) => s.cached === true).length;
          expect(hits, form).toBe(form === 'image-manifest' ? 0 : 2);
        }
      } finally {
        client.close();
      }
    }, 300_000);
  },
);
