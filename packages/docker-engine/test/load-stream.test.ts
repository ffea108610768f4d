// A load opened before the image is complete (LoadStream), against a fake daemon: the archive GNU tar reads back
// holds the streamed layer once, under the name manifest.json gives it, with the other layers and the config after
// it; a layer longer or shorter than it was announced cuts the load with LAYER_SIZE_MISMATCH; an image the daemon
// has already drops the stream (the load never completes) and is only tagged.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Digest, isLadingError } from '@lading/digest';
import { type FakeDaemon, havePeers, makeTempDir, run, sendJson, startFakeDaemon } from '@lading/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type EngineLayer, LoadStream, loadImage, openEngineClient } from '../src/index.js';

const sha256 = (b: Uint8Array | string) => `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;
const hex = (d: string) => d.slice('sha256:'.length);

function layerOf(bytes: Uint8Array): EngineLayer {
  return {
    diffId: sha256(bytes),
    descriptor: {
      mediaType: 'application/vnd.oci.image.layer.v1.tar',
      digest: sha256(bytes),
      size: bytes.length,
    },
    async *open() {
      yield bytes;
    },
  };
}

let fake: FakeDaemon;
beforeAll(async () => {
  fake = await startFakeDaemon();
});
afterAll(async () => {
  await fake?.close();
});
afterEach(() => fake.reset());

/** A daemon without images, that records the archive and answers with the image ID of `config`. */
function emptyDaemon(config: Uint8Array, loads: { aborted: boolean; body?: Buffer }[]) {
  fake.streaming = true;
  fake.handle(async (req, res) => {
    const url = req.url ?? '';
    if (url.includes('/images/load')) {
      const load: { aborted: boolean; body?: Buffer } = { aborted: false };
      loads.push(load);
      const chunks: Buffer[] = [];
      try {
        for await (const c of req) chunks.push(c as Buffer);
      } catch {
        load.aborted = true;
        return;
      }
      if (!req.complete) {
        load.aborted = true;
        return;
      }
      load.body = Buffer.concat(chunks);
      sendJson(res, 200, { stream: `Loaded image ID: ${sha256(config)}\n` });
      return;
    }
    for await (const _ of req) {
      // drain
    }
    if (url.includes('/images/json')) sendJson(res, 200, []);
    else sendJson(res, 404, { message: 'No such image' });
  });
}

describe('LoadStream', () => {
  const streamed = new TextEncoder().encode('the layer built now, '.repeat(100));
  const base = new TextEncoder().encode('a base layer from the store');
  const config = new TextEncoder().encode(
    JSON.stringify({ rootfs: { type: 'layers', diff_ids: [sha256(base), sha256(streamed)] } }),
  );

  it.runIf(havePeers('tar'))(
    'the streamed layer is in the archive once, named in manifest.json, with the rest after it',
    async () => {
      const loads: { aborted: boolean; body?: Buffer }[] = [];
      emptyDaemon(config, loads);
      const engine = await openEngineClient({ env: { DOCKER_HOST: fake.host } });
      const stream = new LoadStream(engine);
      const entry = await stream.layer(streamed.length);
      await entry.write(streamed.subarray(0, 1000));
      await entry.write(streamed.subarray(1000));
      await entry.end(sha256(streamed));
      const result = await loadImage(
        engine,
        { config, layers: [layerOf(base), layerOf(streamed)], names: [] },
        { stream },
      );
      engine.close();
      expect(result).toMatchObject({ id: sha256(config), loaded: true, layersSent: 2, layersReused: 0 });
      expect(result.bytesSent).toBe(streamed.length + base.length);
      expect(loads).toHaveLength(1);
      const dir = await makeTempDir();
      const file = join(dir.path, 'archive.tar');
      writeFileSync(file, loads[0]?.body ?? Buffer.alloc(0));
      const names = (await run('tar', ['-tf', file])).stdout.trim().split('\n');
      expect(names.filter((n) => n === 'layer-0.tar')).toHaveLength(1);
      expect(names).not.toContain(`blobs/sha256/${hex(sha256(streamed))}`);
      expect(names.indexOf('layer-0.tar')).toBeLessThan(names.indexOf('manifest.json'));
      expect((await run('tar', ['-xOf', file, 'layer-0.tar'])).stdout).toBe(
        new TextDecoder().decode(streamed),
      );
      const manifest = JSON.parse((await run('tar', ['-xOf', file, 'manifest.json'])).stdout);
      expect(manifest[0].Layers).toEqual([`blobs/sha256/${hex(sha256(base))}`, 'layer-0.tar']);
      expect(manifest[0].Config).toBe(`blobs/sha256/${hex(sha256(config))}`);
      await dir.cleanup();
    },
  );

  it('more bytes than announced cut the load: LAYER_SIZE_MISMATCH, and the daemon never sees a whole archive', async () => {
    const loads: { aborted: boolean; body?: Buffer }[] = [];
    emptyDaemon(config, loads);
    const engine = await openEngineClient({ env: { DOCKER_HOST: fake.host } });
    const stream = new LoadStream(engine);
    const entry = await stream.layer(10);
    await entry.write(new Uint8Array(8));
    const e = await entry.write(new Uint8Array(8)).catch((x: unknown) => x);
    expect(isLadingError(e) && e.code).toBe('LAYER_SIZE_MISMATCH');
    const after = await loadImage(
      engine,
      { config, layers: [layerOf(base), layerOf(streamed)], names: [] },
      { stream },
    ).catch((x: unknown) => x);
    expect(isLadingError(after) && after.code).toBe('LAYER_SIZE_MISMATCH');
    engine.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(loads.every((l) => l.body === undefined)).toBe(true);
  });

  it('fewer bytes than announced: end() refuses with LAYER_SIZE_MISMATCH', async () => {
    const loads: { aborted: boolean; body?: Buffer }[] = [];
    emptyDaemon(config, loads);
    const engine = await openEngineClient({ env: { DOCKER_HOST: fake.host } });
    const stream = new LoadStream(engine);
    const entry = await stream.layer(10);
    await entry.write(new Uint8Array(4));
    const e = await entry.end(sha256('x')).catch((x: unknown) => x);
    expect(isLadingError(e) && e.code).toBe('LAYER_SIZE_MISMATCH');
    engine.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(loads.every((l) => l.body === undefined)).toBe(true);
  });

  it('an image the daemon has already: only tagged, the streamed load is dropped', async () => {
    const loads: { aborted: boolean; body?: Buffer }[] = [];
    fake.streaming = true;
    fake.handle(async (req, res) => {
      const url = req.url ?? '';
      if (url.includes('/images/load')) {
        const load = { aborted: false };
        loads.push(load);
        try {
          for await (const _ of req) {
            // read until cut
          }
        } catch {
          load.aborted = true;
        }
        if (!req.complete) load.aborted = true;
        return;
      }
      for await (const _ of req) {
        // drain
      }
      if (url.includes(`/images/${sha256(config)}/json`)) {
        sendJson(res, 200, { Id: sha256(config), RootFS: { Type: 'layers', Layers: [] } });
      } else sendJson(res, 404, { message: 'No such image' });
    });
    const engine = await openEngineClient({ env: { DOCKER_HOST: fake.host } });
    const stream = new LoadStream(engine);
    const entry = await stream.layer(streamed.length);
    await entry.write(streamed);
    await entry.end(sha256(streamed));
    const result = await loadImage(
      engine,
      { config, layers: [layerOf(base), layerOf(streamed)], names: [] },
      { stream },
    );
    expect(result).toMatchObject({ loaded: false, layersSent: 0 });
    await new Promise((r) => setTimeout(r, 100));
    engine.close();
    expect(loads).toHaveLength(1);
    expect(loads[0]?.aborted).toBe(true);
  });
});
