// A registry that answers a manifest GET with bytes that are not JSON: the typed errors (and exit codes) of the rest
// of the code, never a SyntaxError. The bodies are written here, byte by byte.
import { createMemoryStore } from '@lading/content-store';
import { ExitCode, exitCodeFor, MediaType } from '@lading/digest';
import { type HostileRegistry, startHostileRegistry } from '@lading/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getManifest, pullImage, RegistryClient } from '../src/index.js';

const truncated = new TextEncoder().encode(
  '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"',
);
// Valid JSON but for one byte that is not UTF-8 inside a string.
const notUtf8 = Buffer.concat([
  Buffer.from(`{"schemaVersion":2,"mediaType":"${MediaType.ociManifest}","x":"`),
  Buffer.from([0xff]),
  Buffer.from('"}'),
]);

describe('a manifest body that is not JSON', () => {
  let registry: HostileRegistry;
  beforeAll(async () => {
    registry = await startHostileRegistry();
  });
  afterEach(() => registry.reset());
  afterAll(async () => registry?.stop());
  const client = () => new RegistryClient(registry.host, { retry: { retries: 0 } });

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
      x.send(200, { 'content-type': MediaType.ociManifest, 'content-length': String(truncated.byteLength) }),
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
