// Credentials and origins against a hostile registry: Locations and redirects to other origins, foreign
// challenges, downgrades to plain HTTP, and concurrent 401s. Every expectation is what the servers logged.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobSource } from '@lading/content-store';
import { type Descriptor, MediaType } from '@lading/digest';
import {
  type HostileExchange,
  type HostileRegistry,
  havePeers,
  makeTempDir,
  selfSignedCertificate,
  startHostileRegistry,
  type TempDir,
} from '@lading/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fetchBlob, hasBlob, pushBlob, RegistryClient } from '../src/index.js';
import { sha256 } from './helpers.js';

const user = { username: 'pusher', password: 'pw-For-Tests-9' };
const basic = `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`;

function blob(text: string): { source: BlobSource; bytes: Uint8Array; desc: Descriptor } {
  const bytes = new TextEncoder().encode(text);
  const desc: Descriptor = {
    mediaType: MediaType.ociLayerGzip,
    digest: sha256(bytes),
    size: bytes.byteLength,
  };
  return {
    bytes,
    desc,
    source: {
      descriptor: desc,
      async *open() {
        yield bytes;
      },
    },
  };
}

/** A registry that wants Basic credentials for everything, and answers HEAD of blobs with 404. */
function basicRegistry(h: HostileRegistry): void {
  h.on('*', /^\/v2\//, (x) => {
    if (x.req.headers.authorization !== basic) return x.challenge('Basic realm="hostile"');
    if (x.req.method === 'HEAD' && x.entry.path.includes('/blobs/')) return x.send(404);
    if (x.entry.path === '/v2/') return x.json(200, {});
    return x.send(404);
  });
}

const sawAuthorization = (h: HostileRegistry) =>
  h.requests.filter((r) => r.headers.authorization !== undefined);

describe('credentials stay with their origin', () => {
  let registry: HostileRegistry;
  let foreign: HostileRegistry;
  beforeAll(async () => {
    registry = await startHostileRegistry();
    foreign = await startHostileRegistry();
  });
  afterEach(() => {
    registry.reset();
    foreign.reset();
  });
  afterAll(async () => {
    await registry?.stop();
    await foreign?.stop();
  });

  it('sends no Authorization to an upload Location on another origin (one streaming PUT)', async () => {
    const { source, bytes, desc } = blob('streamed to another origin');
    basicRegistry(registry);
    registry.on('POST', '/v2/app/blobs/uploads/', (x) =>
      x.req.headers.authorization === basic
        ? x.send(202, { location: `${foreign.origin}/upload/1?_state=opaque` })
        : x.challenge('Basic realm="hostile"'),
    );
    let received: Buffer | undefined;
    foreign.on('PUT', '/upload/1', async (x) => {
      received = await x.body();
      x.send(201, { 'docker-content-digest': desc.digest });
    });
    const client = new RegistryClient(registry.host, { credentials: user, retry: { retries: 0 } });
    try {
      expect(await pushBlob(client, 'app', source)).toBe('uploaded');
    } finally {
      client.close();
    }
    expect(received && sha256(received)).toBe(sha256(bytes));
    expect(foreign.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['PUT /upload/1']);
    expect(sawAuthorization(foreign)).toEqual([]);
    // the registry itself was sent the credentials it asked for
    expect(registry.requests.some((r) => r.method === 'POST' && r.headers.authorization === basic)).toBe(
      true,
    );
  });

  it('sends no Authorization along a chain of PATCH Locations on another origin', async () => {
    const { source, desc } = blob('x'.repeat(3000));
    basicRegistry(registry);
    registry.on('POST', '/v2/app/blobs/uploads/', (x) =>
      x.req.headers.authorization === basic
        ? x.send(202, { location: `${foreign.origin}/upload/2?n=0` })
        : x.challenge('Basic realm="hostile"'),
    );
    let n = 0;
    foreign.on('PATCH', '/upload/2', async (x) => {
      await x.body();
      // relative Locations from the foreign origin stay on the foreign origin
      x.send(202, { location: `/upload/2?n=${++n}` });
    });
    foreign.on('PUT', '/upload/2', (x) => x.send(201, { 'docker-content-digest': desc.digest }));
    const client = new RegistryClient(registry.host, { credentials: user, retry: { retries: 0 } });
    try {
      expect(await pushBlob(client, 'app', source, { chunkSize: 1000 })).toBe('uploaded');
    } finally {
      client.close();
    }
    expect(foreign.requests.map((r) => r.method)).toEqual(['PATCH', 'PATCH', 'PATCH', 'PUT']);
    expect(sawAuthorization(foreign)).toEqual([]);
  });

  it('never takes a 401 from another origin for the registry challenge (its realm gets nothing)', async () => {
    const { source } = blob('refused by a foreign origin');
    basicRegistry(registry);
    registry.on('POST', '/v2/app/blobs/uploads/', (x) =>
      x.req.headers.authorization === basic
        ? x.send(202, { location: `${foreign.origin}/upload/3` })
        : x.challenge('Basic realm="hostile"'),
    );
    foreign.on('PUT', '/upload/3', (x) =>
      x.challenge(`Bearer realm="${foreign.origin}/token",service="foreign"`),
    );
    foreign.on('GET', '/token', (x) => x.json(200, { token: 'foreign-token' }));
    const client = new RegistryClient(registry.host, { credentials: user, retry: { retries: 0 } });
    try {
      await expect(pushBlob(client, 'app', source)).rejects.toMatchObject({
        kind: 'registry',
        code: 'FOREIGN_CHALLENGE',
      });
      // the registry's own requests still carry its own credentials, never a foreign token
      registry.requests.length = 0;
      expect(await hasBlob(client, 'app', blob('other').desc.digest)).toBe(false);
      expect(registry.requests.map((r) => r.headers.authorization)).toEqual([basic]);
    } finally {
      client.close();
    }
    expect(foreign.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['PUT /upload/3']);
    expect(sawAuthorization(foreign)).toEqual([]);
  });

  it('sends no Authorization on a redirect to another origin, even one with userinfo in its URL', async () => {
    const { bytes, desc } = blob('served elsewhere');
    basicRegistry(registry);
    registry.on('GET', `/v2/app/blobs/${desc.digest}`, (x) =>
      x.req.headers.authorization === basic
        ? x.redirect(`http://someone:their-secret@${foreign.host}/storage/blob?sig=abc`)
        : x.challenge('Basic realm="hostile"'),
    );
    foreign.on('GET', '/storage/blob', (x) => x.send(200, {}, bytes));
    const client = new RegistryClient(registry.host, { credentials: user, retry: { retries: 0 } });
    try {
      const parts: Uint8Array[] = [];
      for await (const c of fetchBlob(client, 'app', desc)) parts.push(c);
      expect(sha256(Buffer.concat(parts))).toBe(desc.digest);
    } finally {
      client.close();
    }
    expect(foreign.requests).toHaveLength(1);
    expect(sawAuthorization(foreign)).toEqual([]);
  });
});

describe.runIf(havePeers('openssl'))('no downgrade from HTTPS to plain HTTP', () => {
  let dir: TempDir;
  let registry: HostileRegistry;
  let ca: string;
  beforeAll(async () => {
    dir = await makeTempDir('lading-push-hostile-tls-');
    const certificate = join(dir.path, 'cert.pem');
    const key = join(dir.path, 'key.pem');
    await selfSignedCertificate({ certificate, key, subject: '/CN=127.0.0.1', ipAddress: '127.0.0.1' });
    ca = await readFile(certificate, 'utf8');
    registry = await startHostileRegistry({ tls: { cert: ca, key: await readFile(key, 'utf8') } });
  });
  afterEach(() => registry.reset());
  afterAll(async () => {
    await registry?.stop();
    await dir?.cleanup();
  });
  const client = (options: { insecure?: boolean } = {}) =>
    new RegistryClient(registry.host, {
      scheme: 'https',
      tls: { ca: [ca] },
      credentials: user,
      retry: { retries: 0 },
      ...options,
    });
  // a plain-HTTP destination that is not loopback (never reached: refused before any connection)
  const plain = 'http://lading-hostile.invalid';

  it('refuses a redirect to plain HTTP', async () => {
    const { desc } = blob('redirected');
    basicRegistry(registry);
    registry.on('GET', `/v2/app/blobs/${desc.digest}`, (x) => x.redirect(`${plain}/blob`));
    const c = client();
    try {
      const read = async () => {
        for await (const _ of fetchBlob(c, 'app', desc)) break;
      };
      await expect(read()).rejects.toMatchObject({ kind: 'registry', code: 'INSECURE_REDIRECT' });
    } finally {
      c.close();
    }
  });

  it('refuses an upload Location on plain HTTP', async () => {
    const { source } = blob('located');
    basicRegistry(registry);
    registry.on('POST', '/v2/app/blobs/uploads/', (x) => x.send(202, { location: `${plain}/upload` }));
    const c = client();
    try {
      await expect(pushBlob(c, 'app', source)).rejects.toMatchObject({ code: 'INSECURE_LOCATION' });
    } finally {
      c.close();
    }
  });

  it('refuses a token realm on plain HTTP, and sends it no credentials', async () => {
    registry.on('*', /^\/v2\//, (x) => x.challenge(`Bearer realm="${plain}/token",service="s"`));
    const c = client();
    try {
      await expect(hasBlob(c, 'app', blob('x').desc.digest)).rejects.toMatchObject({
        kind: 'registry',
        code: 'INSECURE_REALM',
      });
    } finally {
      c.close();
    }
  });

  it('goes to plain HTTP when the registry is marked insecure', async () => {
    registry.on('*', /^\/v2\//, (x) => x.challenge(`Bearer realm="${plain}/token",service="s"`));
    const c = client({ insecure: true });
    try {
      // the realm is asked (and cannot be found): no refusal
      await expect(hasBlob(c, 'app', blob('x').desc.digest)).rejects.toMatchObject({ code: 'ENOTFOUND' });
    } finally {
      c.close();
    }
  });
});

describe('bearer tokens under concurrent 401s', () => {
  let registry: HostileRegistry;
  beforeAll(async () => {
    registry = await startHostileRegistry();
  });
  afterAll(async () => registry?.stop());

  it('refreshes a refused token once per scope, however many requests it failed', async () => {
    let issued = 0;
    registry.on('GET', '/token', (x) => x.json(200, { token: `t${++issued}`, expires_in: 300 }));
    let refusals = 0;
    registry.on('*', /^\/v2\//, async (x: HostileExchange) => {
      const auth = x.req.headers.authorization;
      const challenge = `Bearer realm="${registry.origin}/token",service="hostile",scope="repository:app:pull"`;
      if (auth === undefined) return x.challenge(challenge);
      if (auth === 'Bearer t1') {
        // the first token is refused, and the refusals arrive spread out: later ones come after a new token
        const k = refusals++;
        await new Promise((r) => setTimeout(r, 150 * k));
        return x.challenge(`${challenge},error="invalid_token"`);
      }
      return x.send(404);
    });
    const c = new RegistryClient(registry.host, { retry: { retries: 0 } });
    try {
      const digests = ['a', 'b', 'c', 'd'].map((s) => blob(s).desc.digest);
      expect(await Promise.all(digests.map((d) => hasBlob(c, 'app', d)))).toEqual([
        false,
        false,
        false,
        false,
      ]);
    } finally {
      c.close();
    }
    expect(refusals).toBe(4);
    expect(registry.requests.filter((r) => r.path === '/token')).toHaveLength(2);
  });
});
