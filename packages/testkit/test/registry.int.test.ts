import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { havePeers, type RunningRegistry, startRegistry } from '../src/index.js';

describe.runIf(havePeers('docker-registry'))('startRegistry', () => {
  let registry: RunningRegistry;
  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('serves the distribution API on 127.0.0.1', async () => {
    const res = await fetch(`${registry.url}/v2/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    expect(registry.host).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('answers the catalog of an empty registry', async () => {
    const res = await fetch(`${registry.url}/v2/_catalog`);
    expect(await res.json()).toEqual({ repositories: [] });
  });

  it('stops by its own pid and frees the port', async () => {
    const other = await startRegistry();
    await other.stop();
    await expect(fetch(`${other.url}/v2/`)).rejects.toMatchObject({
      name: 'TypeError',
      cause: { code: 'ECONNREFUSED' },
    });
  });
});
