// Caps and network errors against a hostile registry: lying sizes, endless bodies, bodies that are not JSON, refused
// connections, unknown hosts and registry text with control characters. Expectations come from the server's log and
// the bytes built here.
import { createMemoryStore } from '@lading/content-store';
import { type Digest, ExitCode, exitCodeFor, isLadingError, MediaType } from '@lading/digest';
import { freePort, type HostileRegistry, startHostileRegistry } from '@lading/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fetchBlob, getManifest, hasBlob, listReferrers, pullImage, RegistryClient } from '../src/index.js';
import { sha256 } from './helpers.js';

const huge = 10 ** 12;
const fakeDigest = `sha256:${'ab'.repeat(32)}` as Digest;
const manifestType = MediaType.ociManifest;
const gets = (h: HostileRegistry, part: string) =>
  h.requests.filter((r) => r.method === 'GET' && r.path.includes(part));

/** A manifest whose config descriptor claims `configSize` bytes; its bytes and digest, computed here. */
function manifestNaming(configSize: number) {
  const bytes = new TextEncoder().encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: manifestType,
      config: { mediaType: MediaType.ociConfig, digest: fakeDigest, size: configSize },
      layers: [],
    }),
  );
  return { bytes, digest: sha256(bytes) };
}

const truncated = new TextEncoder().encode(
  '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"',
);
// Valid JSON but for one byte that is not UTF-8 inside a string.
const notUtf8 = Buffer.concat([
  Buffer.from(`{"schemaVersion":2,"mediaType":"${MediaType.ociManifest}","x":"`),
  Buffer.from([0xff]),
  Buffer.from('"}'),
]);

describe('caps hold whatever a registry declares or sends', () => {
  let registry: HostileRegistry;
  beforeAll(async () => {
    registry = await startHostileRegistry();
  });
  afterEach(() => registry.reset());
  afterAll(async () => registry?.stop());
  const client = () => new RegistryClient(registry.host, { retry: { retries: 0 } });

  it('refuses a manifest whose HEAD declares more than the cap, before a byte of it is read', async () => {
    registry.on('HEAD', '/v2/big/manifests/1', (x) =>
      x.send(200, {
        'content-length': String(huge),
        'content-type': manifestType,
        'docker-content-digest': fakeDigest,
      }),
    );
    registry.on('GET', /^\/v2\/big\/manifests\//, (x) =>
      x.endless(200, { 'content-type': manifestType }, { limitBytes: 64 << 20 }),
    );
    const c = client();
    try {
      const err = await pullImage(`${registry.host}/big:1`, createMemoryStore(), { client: c }).catch(
        (e) => e,
      );
      expect(err).toMatchObject({ kind: 'invalid-input', code: 'MANIFEST_TOO_LARGE' });
      expect(err.message).toContain(String(huge));
      expect(err.message).toContain(String(4 * 1024 * 1024));
    } finally {
      c.close();
    }
    expect(gets(registry, '/manifests/')).toEqual([]);
  });

  it('refuses a manifest GET whose Content-Length is over the cap without reading its body', async () => {
    // HEAD says nothing useful, so the tag is resolved by GET; the body drips: reading 4 MiB of it would take 13 s
    registry.on('HEAD', '/v2/big/manifests/2', (x) => x.send(200, { 'content-type': manifestType }));
    registry.on('GET', '/v2/big/manifests/2', (x) =>
      x.drip(200, { 'content-type': manifestType, 'content-length': String(huge) }, new Uint8Array(8 << 20), {
        chunkBytes: 64 * 1024,
        intervalMs: 200,
      }),
    );
    const c = client();
    const started = Date.now();
    try {
      await expect(getManifest(c, 'big', '2')).rejects.toMatchObject({
        kind: 'invalid-input',
        code: 'MANIFEST_TOO_LARGE',
      });
    } finally {
      c.close();
    }
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('refuses a blob whose Content-Length is not its descriptor size without reading its body', async () => {
    // one byte more than the registry announces: only the header tells, until the whole body was read
    const desc = { mediaType: MediaType.ociLayerGzip, digest: fakeDigest, size: (8 << 20) + 1 };
    registry.on('GET', `/v2/blob/blobs/${fakeDigest}`, (x) =>
      x.drip(200, { 'content-length': String(8 << 20) }, new Uint8Array(8 << 20), {
        chunkBytes: 64 * 1024,
        intervalMs: 200,
      }),
    );
    const c = client();
    const started = Date.now();
    try {
      const read = async () => {
        for await (const _ of fetchBlob(c, 'blob', desc)) {
          // drained
        }
      };
      await expect(read()).rejects.toMatchObject({ kind: 'integrity', code: 'SIZE_MISMATCH' });
    } finally {
      c.close();
    }
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('stops an endless manifest body at the cap', async () => {
    registry.on('GET', '/v2/big/manifests/3', (x) =>
      x.endless(200, { 'content-type': manifestType }, { limitBytes: 256 << 20 }),
    );
    const c = client();
    try {
      await expect(getManifest(c, 'big', '3')).rejects.toMatchObject({ code: 'MANIFEST_TOO_LARGE' });
    } finally {
      c.close();
    }
  });

  it('reads a manifest fetched by descriptor no further than the descriptor size', async () => {
    const { bytes, digest } = manifestNaming(10);
    registry.on('GET', `/v2/big/manifests/${digest}`, (x) =>
      x.endless(200, { 'content-type': manifestType }, { chunk: bytes, limitBytes: 64 << 20 }),
    );
    const c = client();
    try {
      await expect(
        getManifest(c, 'big', digest, {
          expected: { mediaType: manifestType, digest, size: bytes.byteLength },
        }),
      ).rejects.toMatchObject({ kind: 'integrity', code: 'SIZE_MISMATCH' });
    } finally {
      c.close();
    }
  });

  it('refuses a config whose descriptor declares more than the cap, before fetching it', async () => {
    const { bytes, digest } = manifestNaming(huge);
    registry.on('HEAD', '/v2/cfg/manifests/1', (x) =>
      x.send(200, {
        'content-length': String(bytes.byteLength),
        'content-type': manifestType,
        'docker-content-digest': digest,
      }),
    );
    registry.on('GET', `/v2/cfg/manifests/${digest}`, (x) =>
      x.send(200, { 'content-type': manifestType }, bytes),
    );
    registry.on('GET', `/v2/cfg/blobs/${fakeDigest}`, (x) => x.endless(200, {}, { limitBytes: 64 << 20 }));
    const c = client();
    try {
      await expect(
        pullImage(`${registry.host}/cfg:1`, createMemoryStore(), { client: c }),
      ).rejects.toMatchObject({
        kind: 'invalid-input',
        code: 'CONFIG_TOO_LARGE',
      });
    } finally {
      c.close();
    }
    expect(gets(registry, '/blobs/')).toEqual([]);
  });

  it('caps a token body, and says so', async () => {
    registry.on('*', /^\/v2\//, (x) => x.challenge(`Bearer realm="${registry.origin}/token",service="s"`));
    registry.on('GET', '/token', (x) =>
      x.endless(200, { 'content-type': 'application/json' }, { limitBytes: 64 << 20 }),
    );
    const c = client();
    try {
      const err = await hasBlob(c, 'app', fakeDigest).catch((e) => e);
      expect(err).toMatchObject({ kind: 'registry', code: 'TOKEN_TOO_LARGE' });
      expect(err.message).toMatch(/1048576-byte cap/);
    } finally {
      c.close();
    }
  });

  it('caps a referrers list, and refuses one that is not JSON with a typed error', async () => {
    registry.on('GET', `/v2/ref/referrers/${fakeDigest}`, (x) =>
      x.endless(200, { 'content-type': MediaType.ociIndex }, { limitBytes: 64 << 20 }),
    );
    registry.on('GET', `/v2/bad/referrers/${fakeDigest}`, (x) =>
      x.send(200, { 'content-type': MediaType.ociIndex }, '{"manifests": [not json'),
    );
    const c = client();
    try {
      await expect(listReferrers(c, 'ref', fakeDigest)).rejects.toMatchObject({
        code: 'REFERRERS_TOO_LARGE',
      });
      await expect(listReferrers(c, 'bad', fakeDigest)).rejects.toMatchObject({ kind: 'invalid-input' });
    } finally {
      c.close();
    }
  });

  it('reads an error body no further than its cap and still reports the status', async () => {
    registry.on('HEAD', /blobs/, (x) => x.send(500, {}));
    registry.on('GET', '/v2/err/manifests/1', (x) =>
      x.endless(500, { 'content-type': 'application/json' }, { limitBytes: 256 << 20 }),
    );
    const c = client();
    try {
      await expect(getManifest(c, 'err', '1')).rejects.toMatchObject({ kind: 'registry', status: 500 });
    } finally {
      c.close();
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(gets(registry, '/manifests/1')[0]!.bytesSent).toBeLessThan(32 << 20);
  });

  // A body that is not JSON: the typed errors (and exit codes) of the rest of the code, never a SyntaxError.
  describe('a manifest body that is not JSON', () => {
    it.each([
      ['truncated', truncated],
      ['not UTF-8', notUtf8],
    ])('%s and no Content-Type: UNKNOWN_MANIFEST_TYPE (exit 3)', async (_, body) => {
      registry.on('GET', '/v2/bad/manifests/1', (x) => x.send(200, {}, body));
      const c = client();
      try {
        const err = await getManifest(c, 'bad', '1').catch((e: unknown) => e);
        expect(err).toMatchObject({ kind: 'invalid-input', code: 'UNKNOWN_MANIFEST_TYPE' });
        expect(exitCodeFor(err)).toBe(ExitCode.invalidInput);
      } finally {
        c.close();
      }
    });

    it('truncated under a manifest Content-Type: the pull refuses it with MANIFEST_INVALID (exit 3)', async () => {
      registry.on('HEAD', /^\/v2\/bad\/manifests\//, (x) =>
        x.send(200, {
          'content-type': MediaType.ociManifest,
          'content-length': String(truncated.byteLength),
        }),
      );
      registry.on('GET', /^\/v2\/bad\/manifests\//, (x) =>
        x.send(200, { 'content-type': MediaType.ociManifest }, truncated),
      );
      const c = client();
      try {
        const got = await getManifest(c, 'bad', '2');
        expect(got.descriptor.mediaType).toBe(MediaType.ociManifest);
        const err = await pullImage(`${registry.host}/bad:2`, createMemoryStore(), { client: c }).catch(
          (e: unknown) => e,
        );
        expect(err).toMatchObject({ kind: 'invalid-input', code: 'MANIFEST_INVALID' });
        expect(exitCodeFor(err)).toBe(ExitCode.invalidInput);
      } finally {
        c.close();
      }
    });
  });
});

describe('network errors mean something', () => {
  it('fails fast with one clear line when the first connection is refused', async () => {
    const port = await freePort();
    const c = new RegistryClient(`127.0.0.1:${port}`);
    const started = Date.now();
    try {
      const err = await hasBlob(c, 'app', fakeDigest).catch((e) => e);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(isLadingError(err)).toBe(true);
      expect(err).toMatchObject({ kind: 'registry', code: 'ECONNREFUSED', retryable: false });
      expect(exitCodeFor(err)).toBe(5);
      expect(err.message).toContain(`127.0.0.1:${port}`);
      expect(err.message).toMatch(/refused/);
      expect(err.message).not.toContain('\n');
    } finally {
      c.close();
    }
  });

  it('fails fast when the registry host is unknown', async () => {
    const c = new RegistryClient('lading-unknown-host.invalid:5000');
    const started = Date.now();
    try {
      const err = await hasBlob(c, 'app', fakeDigest).catch((e) => e);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(err).toMatchObject({ kind: 'registry', code: 'ENOTFOUND', retryable: false });
      expect(err.message).toContain('lading-unknown-host.invalid');
      expect(exitCodeFor(err)).toBe(5);
    } finally {
      c.close();
    }
  });

  it('still retries a refused connection once the registry was reached (a restart mid-transfer)', async () => {
    const port = await freePort();
    const serve = async () => {
      const h = await startHostileRegistry({ port });
      h.on('HEAD', /blobs/, (x) => x.send(404));
      return h;
    };
    let h = await serve();
    const c = new RegistryClient(`127.0.0.1:${port}`, {
      retry: { retries: 6, baseDelayMs: 100, maxDelayMs: 400 },
    });
    try {
      expect(await hasBlob(c, 'app', fakeDigest)).toBe(false);
      await h.stop();
      const back = new Promise<void>((resolve) =>
        setTimeout(async () => {
          h = await serve();
          resolve();
        }, 300),
      );
      expect(await hasBlob(c, 'app', fakeDigest)).toBe(false);
      await back;
    } finally {
      c.close();
      await h.stop();
    }
  });

  it('strips control characters from what a registry says before it enters an error', async () => {
    const registry = await startHostileRegistry();
    registry.on('GET', '/v2/ctl/manifests/1', (x) =>
      x.json(400, {
        errors: [{ code: 'BAD\u001b[2J', message: 'first\r\n\u001b[31mlading: all good\u0007\u009b' }],
      }),
    );
    const c = new RegistryClient(registry.host, { retry: { retries: 0 } });
    try {
      const err = await getManifest(c, 'ctl', '1').catch((e) => e);
      expect(err).toMatchObject({ kind: 'registry', status: 400 });
      expect(err.message).toContain('lading: all good');
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the very characters that must be gone
      const controls = /[\u0000-\u001f\u007f-\u009f]/;
      expect(err.message).not.toMatch(controls);
      // likewise in the structured details
      expect(err.errors).toHaveLength(1);
      for (const d of err.errors) expect(`${d.code} ${d.message}`).not.toMatch(controls);
    } finally {
      c.close();
      await registry.stop();
    }
  });

  it('keeps userinfo and query strings of a Location out of a network error', async () => {
    const registry = await startHostileRegistry();
    const closed = await freePort();
    registry.on('HEAD', /blobs/, (x) => x.send(404));
    registry.on('POST', '/v2/app/blobs/uploads/', (x) =>
      x.send(202, { location: `http://someone:hunter2@127.0.0.1:${closed}/up?_state=SECRET-STATE` }),
    );
    const c = new RegistryClient(registry.host, { retry: { retries: 0 } });
    const bytes = new TextEncoder().encode('nowhere to go');
    try {
      const { pushBlob } = await import('../src/index.js');
      const err = await pushBlob(c, 'app', {
        descriptor: { mediaType: MediaType.ociLayerGzip, digest: sha256(bytes), size: bytes.byteLength },
        async *open() {
          yield bytes;
        },
      }).catch((e) => e);
      expect(err).toMatchObject({ kind: 'registry', code: 'ECONNREFUSED' });
      expect(err.message).not.toMatch(/hunter2|SECRET-STATE|someone/);
      expect(String(err.url ?? '')).not.toMatch(/hunter2|SECRET-STATE|someone/);
    } finally {
      c.close();
      await registry.stop();
    }
  });
});
