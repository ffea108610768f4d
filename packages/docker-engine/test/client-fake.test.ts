// The client against a fake daemon on a unix socket: version negotiation, the errors a user sees (no daemon, a
// refused load, API errors with hostile text), the archive it streams (read back by GNU tar), abort and caps.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Digest, exitCodeFor, IntegrityError, isLadingError } from '@lading/digest';
import { type FakeDaemon, havePeers, makeTempDir, run, sendJson, startFakeDaemon } from '@lading/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  dockerArchiveStream,
  type EngineLayer,
  isEngineError,
  isEngineUnreachable,
  loadImage,
  openEngineClient,
} from '../src/index.js';

const sha256 = (b: Uint8Array | string) => `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;

let fake: FakeDaemon;
beforeAll(async () => {
  fake = await startFakeDaemon();
});
afterAll(async () => {
  await fake?.close();
});
afterEach(() => fake.reset());

const client = (env: Record<string, string> = {}) =>
  openEngineClient({ env: { DOCKER_HOST: fake.host, ...env } });

function layerOf(bytes: Uint8Array, options: { claimSize?: number } = {}): EngineLayer {
  return {
    diffId: sha256(bytes),
    descriptor: {
      mediaType: 'application/vnd.oci.image.layer.v1.tar',
      digest: sha256(bytes),
      size: options.claimSize ?? bytes.byteLength,
    },
    async *open() {
      yield bytes;
    },
  };
}

describe('API version negotiation (moby client NegotiateAPIVersion)', () => {
  const cases: [string, string | undefined, string][] = [
    ['an older daemon: its version', '1.30', '/v1.30/version'],
    ['a newer daemon: ours (1.48)', '1.99', '/v1.48/version'],
    ['a daemon that says nothing: 1.24', undefined, '/v1.24/version'],
  ];
  it.each(cases)('%s', async (_label, announced, path) => {
    fake.apiVersion = announced;
    fake.handle((_req, res) =>
      sendJson(res, 200, { Version: 'x', ApiVersion: announced ?? '', Os: 'linux' }),
    );
    const engine = await client();
    await engine.version();
    await engine.version();
    engine.close();
    expect(fake.requests.map((r) => r.url)).toEqual(['/_ping', path, path]);
  });

  it('DOCKER_API_VERSION is used as given, without a ping', async () => {
    fake.handle((_req, res) => sendJson(res, 200, { Version: 'x', ApiVersion: '1.40', Os: 'linux' }));
    const engine = await client({ DOCKER_API_VERSION: '1.40' });
    await engine.version();
    engine.close();
    expect(fake.requests.map((r) => r.url)).toEqual(['/v1.40/version']);
  });

  it('a daemon older than 1.24 is refused with what it speaks', async () => {
    fake.apiVersion = '1.12';
    const engine = await client();
    const e = await engine.version().catch((x: unknown) => x);
    engine.close();
    expect(isEngineError(e) && e.code).toBe('ENGINE_TOO_OLD');
    expect((e as Error).message).toContain('speaks API 1.12');
  });
});

describe('a daemon that is not there', () => {
  it('no socket: exit 5, one line naming the address and what to check', async () => {
    const dir = await makeTempDir();
    const path = join(dir.path, 'nothing.sock');
    const engine = await openEngineClient({ env: { DOCKER_HOST: `unix://${path}` } });
    const e = await engine.ping().catch((x: unknown) => x);
    expect(isEngineUnreachable(e)).toBe(true);
    expect(exitCodeFor(e)).toBe(5);
    const message = (e as Error).message;
    expect(message).toContain(`unix://${path} (DOCKER_HOST)`);
    expect(message).toContain('is the Docker daemon running?');
    expect(message).toContain('DOCKER_HOST');
    expect(message).not.toContain('\n');
    await dir.cleanup();
  });

  it('a path that is no socket: refused, named', async () => {
    const dir = await makeTempDir();
    const path = join(dir.path, 'plain-file');
    writeFileSync(path, 'x');
    const engine = await openEngineClient({ env: { DOCKER_HOST: `unix://${path}` } });
    const e = await engine.listImages().catch((x: unknown) => x);
    expect(isEngineUnreachable(e)).toBe(true);
    expect((e as Error).message).toMatch(/connection refused at .*plain-file/);
    await dir.cleanup();
  });

  it('the default socket is named as the default when nothing is set', async () => {
    const dir = await makeTempDir();
    const engine = await openEngineClient({ env: { DOCKER_CONFIG: dir.path, HOME: dir.path } });
    expect(engine.endpoint).toMatchObject({ kind: 'unix', socketPath: '/var/run/docker.sock' });
    expect(engine.endpoint.source).toBe('the default socket');
    await dir.cleanup();
  });
});

describe('API errors carry the daemon message, typed by status', () => {
  const cases: [number, string, number][] = [
    [404, 'ENGINE_NOT_FOUND', 4],
    [400, 'ENGINE_BAD_REQUEST', 3],
    [500, 'ENGINE_API_ERROR', 5],
    [409, 'ENGINE_API_ERROR', 5],
  ];
  it.each(cases)('status %i: %s, exit %i, control characters stripped', async (status, code, exit) => {
    fake.handle((_req, res) =>
      sendJson(res, status, { message: 'no such image: app:1\u001b[31m\r\nFAKE PROMPT$ \u0007rm -rf' }),
    );
    const engine = await client();
    const e = await engine.inspectImage('app:1').catch((x: unknown) => x);
    engine.close();
    expect(isLadingError(e) && e.code).toBe(code);
    expect(exitCodeFor(e)).toBe(exit);
    expect((e as Error).message).toBe('inspecting image app:1: no such image: app:1 FAKE PROMPT$ rm -rf');
  });

  it('an answer larger than its cap is refused, not buffered', async () => {
    fake.handle((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const chunk = Buffer.alloc(1 << 20, 0x20);
      for (let i = 0; i < 20; i++) res.write(chunk);
      res.end('{}');
    });
    const engine = await client();
    const e = await engine.inspectImage('big').catch((x: unknown) => x);
    engine.close();
    expect(isEngineError(e) && e.code).toBe('ENGINE_ANSWER_TOO_LARGE');
  });
});

describe('POST /images/load', () => {
  const config = new TextEncoder().encode('{"rootfs":{"type":"layers","diff_ids":[]}}');

  it('an error message in a 200 stream is a refusal with the daemon words (exit 5)', async () => {
    fake.handle((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"status":"Loading layer","progressDetail":{"current":1,"total":2}}\r\n');
      res.end(
        '{"errorDetail":{"message":"invalid diffID for layer 0\\u001b[2J"},"error":"invalid diffID"}\r\n',
      );
    });
    const engine = await client();
    const e = await engine.loadArchive(dockerArchiveStream({ config, layers: [] })).catch((x: unknown) => x);
    engine.close();
    expect(isEngineError(e) && e.code).toBe('ENGINE_LOAD_REFUSED');
    expect(exitCodeFor(e)).toBe(5);
    expect((e as Error).message).toBe(
      `the Docker Engine at ${fake.host} refused the image: invalid diffID for layer 0`,
    );
  });

  it('a stream that is not JSON is an error, not a silent success', async () => {
    fake.handle((_req, res) => {
      res.writeHead(200);
      res.end('<html>proxy error</html>\n');
    });
    const engine = await client();
    const e = await engine.loadArchive(dockerArchiveStream({ config, layers: [] })).catch((x: unknown) => x);
    engine.close();
    expect(isEngineError(e) && e.code).toBe('ENGINE_BAD_STREAM');
  });

  it.runIf(havePeers('tar'))(
    'streams a docker-archive GNU tar reads: blobs, empty placeholders named by chain, config, manifest.json',
    async () => {
      const base = new TextEncoder().encode('base layer bytes');
      const app = new TextEncoder().encode('app layer bytes, a few more');
      const layers = [layerOf(base), layerOf(app), layerOf(base)];
      const cfg = new TextEncoder().encode(
        JSON.stringify({ rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) } }),
      );
      fake.handle((_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(`{"stream":"Loaded image ID: ${sha256(cfg)}\\n"}\r\n`);
      });
      const engine = await client();
      const result = await engine.loadArchive(
        dockerArchiveStream({ config: cfg, layers, placeholders: new Set([0]), repoTags: ['app:1'] }),
      );
      engine.close();
      expect(result.imageIds).toEqual([sha256(cfg)]);
      const load = fake.requests.find((r) => r.url.startsWith('/v1.41/images/load'));
      expect(load?.headers['content-type']).toBe('application/x-tar');
      const dir = await makeTempDir();
      const file = join(dir.path, 'archive.tar');
      writeFileSync(file, load?.body ?? Buffer.alloc(0));
      const hex = (d: string) => d.slice('sha256:'.length);
      const chain0 = hex(sha256(base));
      const listing = (await run('tar', ['-tvf', file])).stdout.trim().split('\n');
      const sizes = Object.fromEntries(
        listing.map((l) => [l.split(/\s+/).at(-1), Number(l.split(/\s+/)[2])]),
      );
      expect(sizes[`present/${chain0}`]).toBe(0);
      expect(sizes[`blobs/sha256/${hex(sha256(app))}`]).toBe(app.byteLength);
      // the base blob appears once, for position 2 (position 0 is the placeholder)
      expect(sizes[`blobs/sha256/${hex(sha256(base))}`]).toBe(base.byteLength);
      expect(sizes[`blobs/sha256/${hex(sha256(cfg))}`]).toBe(cfg.byteLength);
      const manifest = JSON.parse((await run('tar', ['-xOf', file, 'manifest.json'])).stdout);
      expect(manifest).toEqual([
        {
          Config: `blobs/sha256/${hex(sha256(cfg))}`,
          RepoTags: ['app:1'],
          Layers: [
            `present/${chain0}`,
            `blobs/sha256/${hex(sha256(app))}`,
            `blobs/sha256/${hex(sha256(base))}`,
          ],
        },
      ]);
      expect((await run('tar', ['-xOf', file, `blobs/sha256/${hex(sha256(app))}`])).stdout).toBe(
        new TextDecoder().decode(app),
      );
      await dir.cleanup();
    },
  );

  it('a layer shorter than its descriptor fails the load with an IntegrityError, not a connection error', async () => {
    fake.handle((_req, res) => sendJson(res, 200, {}));
    const engine = await client();
    const bytes = new TextEncoder().encode('short');
    const e = await engine
      .loadArchive(dockerArchiveStream({ config, layers: [layerOf(bytes, { claimSize: 100 })] }))
      .catch((x: unknown) => x);
    engine.close();
    expect(e).toBeInstanceOf(IntegrityError);
    expect((e as IntegrityError).code).toBe('LAYER_SIZE_MISMATCH');
  });

  it('an abort stops a load in flight', async () => {
    fake.streaming = true;
    fake.handle(() => {
      // never answers, never reads: the upload stalls on backpressure
    });
    const engine = await client();
    await engine.apiVersion();
    const big = new Uint8Array(64 << 20);
    const controller = new AbortController();
    const started = Date.now();
    const loading = engine
      .loadArchive(dockerArchiveStream({ config, layers: [layerOf(big)] }), { signal: controller.signal })
      .catch((x: unknown) => x);
    setTimeout(() => controller.abort(Object.assign(new Error('interrupted'), { name: 'AbortError' })), 200);
    const e = await loading;
    engine.close();
    expect((e as Error).name).toBe('AbortError');
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('loadImage checks before sending', () => {
  it('names moby refuses and layers that disagree with the config fail before any request', async () => {
    const layer = layerOf(new TextEncoder().encode('x'));
    const cfg = new TextEncoder().encode(
      JSON.stringify({ rootfs: { type: 'layers', diff_ids: [layer.diffId] } }),
    );
    const { parseNormalizedReference } = await import('@lading/reference-store/reference');
    const engine = await client();
    const refused = [
      [parseNormalizedReference('sha256:abc'), 'ENGINE_TAG_AMBIGUOUS'],
      [parseNormalizedReference(`app@${sha256('x')}`), 'ENGINE_TAG_DIGEST'],
    ] as const;
    for (const [name, code] of refused) {
      const e = await loadImage(engine, { config: cfg, layers: [layer], names: [name] }).catch(
        (x: unknown) => x,
      );
      expect(isLadingError(e) && e.code).toBe(code);
      expect(exitCodeFor(e)).toBe(3);
    }
    const mismatch = await loadImage(engine, { config: cfg, layers: [], names: [] }).catch((x: unknown) => x);
    expect(isLadingError(mismatch) && mismatch.code).toBe('ENGINE_CONFIG_LAYERS');
    engine.close();
    expect(fake.requests).toEqual([]);
  });
});
