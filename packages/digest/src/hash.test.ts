import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDigest } from './digest.js';
import { IntegrityError } from './errors.js';
import { checkHash, Digester, digestOf, hashStream, verifyStream } from './hash.js';
import { createHashState as nobleHash } from './hash-backend-noble.js';

// Published test vectors (FIPS 180-2 examples; BLAKE3 reference test vectors for the empty input).
const vectors = {
  sha256: {
    abc: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    '': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  },
  sha512: {
    abc: 'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
  },
  blake3: {
    '': 'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262',
  },
} as const;

describe('digestOf', () => {
  it('matches published vectors', () => {
    expect(digestOf('abc')).toBe(`sha256:${vectors.sha256.abc}`);
    expect(digestOf('')).toBe(`sha256:${vectors.sha256['']}`);
    expect(digestOf('abc', 'sha512')).toBe(`sha512:${vectors.sha512.abc}`);
    expect(digestOf('', 'blake3')).toBe(`blake3:${vectors.blake3['']}`);
  });

  it('agrees with openssl on random bytes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lading-digest-'));
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const file = join(dir, 'data');
    writeFileSync(file, data);
    const out = execFileSync('openssl', ['dgst', '-sha256', '-r', file], { encoding: 'utf8' });
    expect(digestOf(data)).toBe(`sha256:${out.split(' ')[0]}`);
  });

  it('the pure-JS backend agrees with node:crypto', () => {
    const data = randomBytes(100_000);
    for (const alg of ['sha256', 'sha512', 'blake3'] as const) {
      const h = nobleHash(alg);
      h.update(data);
      expect(`${alg}:${h.digestHex()}`).toBe(digestOf(data, alg));
    }
  });
});

describe('Digester', () => {
  it('hashes incrementally and counts bytes', () => {
    const d = new Digester();
    d.update(new TextEncoder().encode('a')).update(new TextEncoder().encode('bc'));
    expect(d.size).toBe(3);
    expect(d.digest()).toBe(`sha256:${vectors.sha256.abc}`);
    expect(d.digest()).toBe(d.digest());
    expect(() => d.update(new Uint8Array(1))).toThrow('Digester.update after digest()');
  });
});

async function* chunks(data: Uint8Array, size: number) {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

describe('hashStream', () => {
  it('returns digest and size of a stream', async () => {
    const data = randomBytes(1_000_003);
    const r = await hashStream(chunks(data, 4096));
    expect(r).toEqual({ digest: digestOf(data), size: data.length });
  });

  it('stops on abort', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(hashStream(chunks(randomBytes(10), 1), { signal: ac.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
  });
});

describe('verifyStream', () => {
  const data = randomBytes(50_000);
  const good = { digest: digestOf(data), size: data.length };

  async function drain(it: AsyncIterable<Uint8Array>) {
    let n = 0;
    for await (const c of it) n += c.length;
    return n;
  }

  it('passes matching content through unchanged', async () => {
    expect(await drain(verifyStream(chunks(data, 1000), good))).toBe(data.length);
  });

  it('throws IntegrityError at the end on a digest mismatch', async () => {
    const other = parseDigest(`sha256:${'0'.repeat(64)}`);
    await expect(drain(verifyStream(chunks(data, 1000), { digest: other }))).rejects.toThrow(IntegrityError);
  });

  it('throws as soon as the content is larger than expected', async () => {
    let seen = 0;
    const it = verifyStream(chunks(data, 1000), { digest: good.digest, size: 1500 });
    await expect(
      (async () => {
        for await (const c of it) seen += c.length;
      })(),
    ).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
    expect(seen).toBeLessThanOrEqual(1500);
  });

  it('throws when the content is shorter than expected', async () => {
    await expect(
      drain(verifyStream(chunks(data, 1000), { digest: good.digest, size: data.length + 1 })),
    ).rejects.toMatchObject({
      code: 'SIZE_MISMATCH',
    });
  });
});

describe('checkHash', () => {
  it('names expected and actual', () => {
    const a = { digest: digestOf('a'), size: 1 };
    try {
      checkHash(a, { digest: digestOf('b') }, 'layer');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(IntegrityError);
      expect((e as IntegrityError).expected).toBe(digestOf('b'));
      expect((e as IntegrityError).actual).toBe(digestOf('a'));
      expect((e as Error).message).toMatch(/^layer hashes to/);
    }
  });
});
