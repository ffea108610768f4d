// Pulls from a real Distribution registry, through a hostile front that can delay, corrupt or stretch blobs: blobs
// move in parallel (bounded), each streamed into the store and verified there, nothing partial left behind, progress
// per blob, and memory flat however large a blob is. Digests come from bytes built here (helpers.ts) or hashed here.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openLocalStore } from '@lading/content-store';
import { type Descriptor, type Digest, MediaType } from '@lading/digest';
import {
  type HostileRegistry,
  havePeers,
  makeTempDir,
  type RunningRegistry,
  startHostileRegistry,
  startRegistry,
  type TempDir,
} from '@lading/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BlobProgress, pullImage, pushImage } from '../src/index.js';
import { buildManifest, sha256, TestStore } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.runIf(havePeers('docker-registry'))('pull', () => {
  let registry: RunningRegistry;
  let front: HostileRegistry;
  let tmp: TempDir;
  const source = new TestStore();
  // 8 layers of 3 MiB (random, so gzip keeps them ~3 MiB): more blobs than transfers at once, several MiB each
  const image = buildManifest(source, { layers: 8, layerBytes: 3 << 20 });
  const layers = image.blobs.slice(1);
  const ref = () => `${front.host}/pull/app:v1`;
  let n = 0;
  let lastDir = '';
  const freshStore = async () => {
    lastDir = join(tmp.path, `store-${n++}`);
    return openLocalStore(lastDir);
  };
  const blobGets = (digest?: string) =>
    front.requests.filter(
      (r) => r.method === 'GET' && r.path.includes('/blobs/') && (!digest || r.path.endsWith(digest)),
    );

  beforeAll(async () => {
    tmp = await makeTempDir('lading-pull-');
    registry = await startRegistry();
    const [host, port] = registry.host.split(':') as [string, string];
    front = await startHostileRegistry({ upstream: { host, port: Number(port) } });
    await pushImage(source, image.manifest, `${registry.host}/pull/app:v1`);
  });
  afterEach(() => front.reset());
  afterAll(async () => {
    await front?.stop();
    await registry?.stop();
    await tmp?.cleanup();
  });

  /** Counts blob GETs in flight at the front; each waits a little so that transfers overlap. */
  const countInFlight = () => {
    const seen = { now: 0, max: 0 };
    front.on('GET', /\/blobs\/sha256:/, async (x) => {
      seen.now++;
      seen.max = Math.max(seen.max, seen.now);
      try {
        await sleep(150);
        await x.forward();
      } finally {
        seen.now--;
      }
    });
    return seen;
  };

  it('fetches blobs four at a time by default, each once, into the store byte for byte', async () => {
    const inFlight = countInFlight();
    const store = await freshStore();
    const result = await pullImage(ref(), store);
    expect(inFlight.max).toBe(4);
    expect(result.blobs).toEqual({ exists: 0, downloaded: image.blobs.length });
    expect(blobGets().length).toBe(image.blobs.length);
    for (const b of image.blobs) {
      const onDisk = await readFile(join(lastDir, 'blobs', 'sha256', b.digest.slice('sha256:'.length)));
      expect(sha256(onDisk)).toBe(b.digest);
      expect(Buffer.from(onDisk).equals(Buffer.from(source.blobs.get(b.digest) as Uint8Array))).toBe(true);
    }
    expect(await store.listIngests()).toEqual([]);
  });

  it('honours `concurrency`', async () => {
    const inFlight = countInFlight();
    await pullImage(ref(), await freshStore(), { concurrency: 2 });
    expect(inFlight.max).toBe(2);
  });

  it('starts the largest blobs first (the longest transfer sets the length of a pull)', async () => {
    const sized = new TestStore();
    const layersBySize = [3, 1, 5, 2, 4].map((k) =>
      sized.add(randomBytes(k * 100_000), MediaType.ociLayerGzip),
    );
    const config = sized.addJson({ rootfs: { type: 'layers', diff_ids: [] } }, MediaType.ociConfig);
    const manifest = sized.addJson(
      { schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers: layersBySize },
      MediaType.ociManifest,
    );
    await pushImage(sized, manifest, `${registry.host}/pull/sized:v1`);
    await pullImage(`${front.host}/pull/sized:v1`, await freshStore(), { concurrency: 1 });
    const order = blobGets().map((r) => r.path.slice(r.path.lastIndexOf('/') + 1));
    const bySize = [config, ...layersBySize].sort((a, b) => b.size - a.size).map((b) => b.digest);
    expect(order).toEqual(bySize);
  });

  it('reports progress per blob: bytes rising to the size, then downloaded (or exists on a second pull)', async () => {
    const store = await freshStore();
    const events: BlobProgress[] = [];
    await pullImage(ref(), store, { onProgress: (e) => events.push(e) });
    for (const b of image.blobs) {
      const mine = events.filter((e) => e.digest === b.digest);
      expect(mine.at(-1)).toEqual({ digest: b.digest, bytes: b.size, total: b.size, state: 'downloaded' });
      const moving = mine.filter((e) => e.state === 'downloading').map((e) => e.bytes);
      expect(moving).toEqual([...moving].sort((x, y) => x - y));
      for (const bytes of moving) expect(bytes).toBeLessThanOrEqual(b.size);
      // layers of 3 MiB report on the way (every MiB); the config is too small to
      if (b.size > 2 << 20) expect(moving.length).toBeGreaterThanOrEqual(2);
    }
    const again: BlobProgress[] = [];
    const second = await pullImage(ref(), store, { onProgress: (e) => again.push(e) });
    expect(second.blobs).toEqual({ exists: image.blobs.length, downloaded: 0 });
    expect(new Set(again.map((e) => e.state))).toEqual(new Set(['exists']));
  });

  it('a blob whose bytes do not match its digest fails the pull and leaves nothing in the store', async () => {
    const victim = layers[3] as Descriptor;
    const bad = Buffer.from(source.blobs.get(victim.digest) as Uint8Array);
    bad[bad.length >> 1] = (bad[bad.length >> 1] ?? 0) ^ 0xff; // same size, one byte off
    front.on('GET', `/v2/pull/app/blobs/${victim.digest}`, (x) =>
      x.send(200, { 'content-length': String(bad.length) }, bad),
    );
    const store = await freshStore();
    const err = await pullImage(ref(), store).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'integrity', code: 'DIGEST_MISMATCH', expected: victim.digest });
    expect((err as Error).message).toContain(victim.digest);
    expect((err as Error).message).toContain(front.host);
    await expect(store.info(victim.digest)).rejects.toMatchObject({ kind: 'not-found' });
    expect(await store.listIngests()).toEqual([]);
    // wrong content is not a network hiccup: asked once
    expect(blobGets(victim.digest).length).toBe(1);
  });

  it('a body longer than its descriptor is cut off, not written past the size', async () => {
    const victim = layers[0] as Descriptor;
    front.on('GET', `/v2/pull/app/blobs/${victim.digest}`, (x) =>
      x.endless(200, {}, { chunk: randomBytes(64 * 1024), limitBytes: 256 << 20 }),
    );
    const store = await freshStore();
    const err = await pullImage(ref(), store).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'integrity', code: 'SIZE_MISMATCH' });
    const sent = blobGets(victim.digest)[0]?.bytesSent ?? 0;
    expect(sent).toBeLessThan(victim.size + (32 << 20));
    await expect(store.info(victim.digest)).rejects.toMatchObject({ kind: 'not-found' });
    expect(await store.listIngests()).toEqual([]);
  });

  it('keeps memory flat: a 512 MiB blob pulls in a process that stays far below its size', async () => {
    // The blob is one random MiB repeated; its digest is hashed here, the same way.
    const chunk = randomBytes(1 << 20);
    const repeats = 512;
    const h = createHash('sha256');
    for (let i = 0; i < repeats; i++) h.update(chunk);
    const big: Descriptor = {
      mediaType: MediaType.ociLayerGzip,
      digest: `sha256:${h.digest('hex')}` as Digest,
      size: chunk.length * repeats,
    };
    const config = source.addJson(
      { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [big.digest] } },
      MediaType.ociConfig,
    );
    const manifest = source.addJson(
      { schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers: [big] },
      MediaType.ociManifest,
    );
    const manifestBytes = source.blobs.get(manifest.digest) as Uint8Array;
    const head = { 'content-type': MediaType.ociManifest, 'docker-content-digest': manifest.digest };
    front.on('HEAD', '/v2/big/app/manifests/v1', (x) =>
      x.send(200, { ...head, 'content-length': String(manifestBytes.length) }),
    );
    front.on('GET', /^\/v2\/big\/app\/manifests\//, (x) => x.send(200, head, manifestBytes));
    front.on('GET', `/v2/big/app/blobs/${config.digest}`, (x) =>
      x.send(200, {}, source.blobs.get(config.digest) as Uint8Array),
    );
    front.on('GET', `/v2/big/app/blobs/${big.digest}`, (x) =>
      x.endless(200, { 'content-length': String(big.size) }, { chunk, limitBytes: big.size }),
    );
    const storeDir = join(tmp.path, 'big-store');
    const dist = (pkg: string) =>
      fileURLToPath(new URL(`../../${pkg}/dist/index.js`, import.meta.url)).replaceAll('\\', '/');
    const script = `
      const { pullImage } = await import(${JSON.stringify(dist('push'))});
      const { openLocalStore } = await import(${JSON.stringify(dist('content-store'))});
      const r = await pullImage(${JSON.stringify(`${front.host}/big/app:v1`)}, await openLocalStore(${JSON.stringify(storeDir)}));
      process.stdout.write(JSON.stringify({ blobs: r.blobs, maxRssKiB: process.resourceUsage().maxRSS }));`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let errText = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      errText += c.toString();
    });
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(errText).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(out) as { blobs: unknown; maxRssKiB: number };
    expect(report.blobs).toEqual({ exists: 0, downloaded: 2 });
    expect((await stat(join(storeDir, 'blobs', 'sha256', big.digest.slice(7)))).size).toBe(big.size);
    // Node alone is ~45 MiB; a blob held whole would be 512 more
    expect(report.maxRssKiB / 1024).toBeLessThan(160);
  }, 180_000);
});
