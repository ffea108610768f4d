import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Digest, IntegrityError, InvalidInputError } from '@lading/digest';
import { describe, expect, it } from 'vitest';
import { readBlob, writeBlob } from './blob-helpers.js';
import { withLease } from './lease-view.js';
import { openLocalStore } from './local-store.js';
import { createMemoryStore } from './memory-store.js';
import type { Info, Provider } from './types.js';

const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;

/** A provider that serves endless bytes and counts what was pulled from it. */
function endless(infoSize?: number): Provider & { pulled: () => number } {
  let pulled = 0;
  return {
    pulled: () => pulled,
    read: () =>
      (async function* () {
        for (;;) {
          pulled += 65536;
          yield new Uint8Array(65536);
        }
      })(),
    info: async (digest: Digest): Promise<Info> => {
      if (infoSize === undefined) throw Object.assign(new Error('absent'), { kind: 'not-found' });
      return { digest, size: infoSize, createdAt: new Date(), updatedAt: new Date(), labels: {} };
    },
  };
}

describe('readBlob caps', () => {
  const digest = sha256(Buffer.from('x'));
  it('stops at the declared size: a source sending more is an IntegrityError after one chunk', async () => {
    const p = endless();
    await expect(readBlob(p, { digest, size: 10 })).rejects.toBeInstanceOf(IntegrityError);
    expect(p.pulled()).toBe(65536);
  });
  it('a declared size above the cap is refused before a byte is read', async () => {
    const p = endless();
    const e = await readBlob(p, { digest, size: 10 ** 12 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InvalidInputError);
    expect(e).toMatchObject({ code: 'BLOB_TOO_LARGE' });
    expect(p.pulled()).toBe(0);
  });
  it("without a size, the provider's info is the declared size", async () => {
    const big = endless(10 ** 12);
    await expect(readBlob(big, { digest })).rejects.toMatchObject({ code: 'BLOB_TOO_LARGE' });
    expect(big.pulled()).toBe(0);
    const small = endless(100);
    await expect(readBlob(small, { digest })).rejects.toBeInstanceOf(IntegrityError);
    expect(small.pulled()).toBe(65536);
  });
});

describe('withLease', () => {
  for (const [name, make] of [
    ['memory', async () => ({ store: createMemoryStore(), done: async () => {} })],
    [
      'local',
      async () => {
        const dir = await mkdtemp(join(tmpdir(), 'lading-lease-view-'));
        return { store: await openLocalStore(dir), done: () => rm(dir, { recursive: true, force: true }) };
      },
    ],
  ] as const) {
    it(`${name}: writes commit under the lease, and a blob found present is recorded before has() says so`, async () => {
      const { store, done } = await make();
      try {
        const before = await writeBlob(store, Buffer.from('already here'));
        const lease = await store.createLease();
        const leased = withLease(store, lease.id);
        const written = await writeBlob(leased, Buffer.from('new'));
        expect(await leased.has(before)).toBe(true);
        // Unnamed and unleased except through the view: GC keeps both while the lease lives, and takes them after.
        expect((await store.gc()).removed).toEqual([]);
        await store.deleteLease(lease.id);
        expect(new Set((await store.gc()).removed)).toEqual(new Set([before.digest, written.digest]));
      } finally {
        await done();
      }
    });
  }
});
