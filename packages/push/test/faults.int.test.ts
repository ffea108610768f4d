import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { MediaType } from '@lading/digest';
import {
  type Fault,
  type FaultProxy,
  havePeers,
  type RunningRegistry,
  startFaultProxy,
  startRegistry,
} from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushImage, RegistryClient } from '../src/index.js';
import { buildManifest, sha256, TestStore } from './helpers.js';

/** A small seeded PRNG (mulberry32): the fault sequence is the same on every run for a given request order. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function hashFile(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return `sha256:${h.digest('hex')}`;
}

describe.runIf(havePeers('docker-registry'))('pushes through a fault-injecting proxy', () => {
  let registry: RunningRegistry;
  let proxy: FaultProxy;
  beforeAll(async () => {
    registry = await startRegistry();
    proxy = await startFaultProxy({ host: '127.0.0.1', port: registry.port });
  });
  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
  });

  it('50 pushes of a 3-layer image complete with correct digests and leave no corrupt blob', async () => {
    const random = prng(20261123);
    // The same logical request (method, path without upload id, digest) is faulted at most twice in a row, so a
    // client that retries enough always gets through: random faults, no flakiness.
    const streak = new Map<string, number>();
    const faults: Record<string, number> = {};
    proxy.setPolicy((req) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const key = `${req.method} ${url.pathname.replace(/\/uploads\/[^/]+$/, '/uploads/ID')} ${url.searchParams.get('digest') ?? ''}`;
      const n = streak.get(key) ?? 0;
      let fault: Fault = { kind: 'pass' };
      if (n < 2 && random() < 0.25) {
        const r = random();
        const hasBody = req.method === 'PUT' || req.method === 'PATCH';
        if (r < 0.15) fault = { kind: 'status', status: 500 };
        else if (r < 0.3) fault = { kind: 'status', status: 502 };
        else if (r < 0.45) fault = { kind: 'status', status: 503 };
        else if (r < 0.55) fault = { kind: 'status', status: 429, retryAfter: '0' };
        else if (r < 0.75 && hasBody)
          fault = { kind: 'drop-request', afterBytes: Math.floor(random() * 20_000) };
        else if (r < 0.85) fault = { kind: 'drop-response', afterBytes: 0 };
        else if (r < 0.92) fault = { kind: 'stall', ms: 1_500 };
        else fault = { kind: 'status', status: 500 };
      }
      streak.set(key, fault.kind === 'pass' ? 0 : n + 1);
      faults[fault.kind] = (faults[fault.kind] ?? 0) + 1;
      return fault;
    });

    const client = new RegistryClient(proxy.host, {
      timeoutMs: 600,
      retry: { retries: 8, baseDelayMs: 2, maxDelayMs: 20 },
    });
    const store = new TestStore();
    const images = Array.from({ length: 50 }, () =>
      buildManifest(store, { layers: 3, layerBytes: 48 * 1024 }),
    );
    try {
      // five at a time keeps the test quick and still interleaves uploads on the pool
      for (let i = 0; i < images.length; i += 5) {
        const batch = images.slice(i, i + 5);
        const results = await Promise.all(
          batch.map((img, j) =>
            pushImage(store, img.manifest, `${proxy.host}/faults/img${i + j}:t`, { client }),
          ),
        );
        expect(results.map((r) => r.descriptor.digest)).toEqual(batch.map((b) => b.manifest.digest));
      }
    } finally {
      client.close();
    }
    // the policy did inject every kind of fault
    for (const kind of ['status', 'drop-request', 'drop-response', 'stall'])
      expect(faults[kind] ?? 0).toBeGreaterThan(0);

    // Straight to the registry, no proxy: every tag resolves to its manifest, every blob hashes to its name.
    for (const [i, img] of images.entries()) {
      const res = await fetch(`${registry.url}/v2/faults/img${i}/manifests/t`, {
        headers: { accept: MediaType.ociManifest },
      });
      const bytes = new Uint8Array(await res.arrayBuffer());
      expect(sha256(bytes)).toBe(img.manifest.digest);
      for (const b of img.blobs) {
        const blob = await fetch(`${registry.url}/v2/faults/img${i}/blobs/${b.digest}`);
        expect(blob.status).toBe(200);
        expect(sha256(new Uint8Array(await blob.arrayBuffer()))).toBe(b.digest);
      }
    }
    // and on disk, every blob the registry committed matches its address
    const root = join(registry.storage, 'docker/registry/v2/blobs/sha256');
    let checked = 0;
    for (const prefix of await readdir(root)) {
      for (const hex of await readdir(join(root, prefix))) {
        expect(await hashFile(join(root, prefix, hex, 'data'))).toBe(`sha256:${hex}`);
        checked++;
      }
    }
    expect(checked).toBe(50 * 5);
  }, 120_000);

  it('a warm push of a 10-layer image issues only HEADs and no manifest PUT', async () => {
    proxy.setPolicy(() => ({ kind: 'pass' }));
    const store = new TestStore();
    const img = buildManifest(store, { layers: 10, layerBytes: 8 * 1024 });
    const ref = `${proxy.host}/warm/ten:latest`;
    const cold = await pushImage(store, img.manifest, ref);
    expect(cold.blobs.uploaded).toBe(11);
    expect(cold.tagged).toBe(true);
    proxy.requests.length = 0;
    const seen: string[] = [];
    const warm = await pushImage(store, img.manifest, ref, { onRequest: (e) => seen.push(e.method) });
    expect(warm.tagged).toBe(false);
    expect(warm.blobs).toEqual({ exists: 11, mounted: 0, uploaded: 0 });
    // counted on the wire by the proxy, and by the client hook
    expect(proxy.requests.map((r) => r.method)).toEqual(Array(12).fill('HEAD'));
    expect(seen).toEqual(Array(12).fill('HEAD'));
  });
});
