import { createHash, randomBytes } from 'node:crypto';
import {
  type Descriptor,
  type Digest,
  IntegrityError,
  InvalidInputError,
  NotFoundError,
} from '@lading/digest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyBlob, readBlob, StoreSink, writeBlob } from '../blob-helpers.js';
import type { BlobSink, IndexManager, Store } from '../types.js';

export interface ConformanceSubject {
  readonly store: Store & Partial<IndexManager> & Partial<BlobSink>;
  /** Called after each test. */
  readonly cleanup?: () => Promise<void>;
}

export type StoreFactory = () => Promise<ConformanceSubject>;

// Expected digests are computed here with node:crypto, independently of the store under test.
const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;

async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts);
}

async function rejects(p: Promise<unknown> | (() => Promise<unknown>)): Promise<unknown> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

const badDigests = [
  '',
  'sha256',
  'sha256:',
  'sha256:abc',
  `sha256:${'A'.repeat(64)}`,
  `md5:${'0'.repeat(32)}`,
  `sha256:${'0'.repeat(63)}g`,
];

/** The behaviour every lading store has: run it with `describeStoreConformance('my store', async () => ({ store }))`. */
export function describeStoreConformance(name: string, factory: StoreFactory): void {
  describe(`content store conformance: ${name}`, () => {
    let subject: ConformanceSubject;
    let store: ConformanceSubject['store'];
    beforeEach(async () => {
      subject = await factory();
      store = subject.store;
    });
    afterEach(async () => {
      await subject.cleanup?.();
    });

    it('does not show a blob before commit and shows it after', async () => {
      const bytes = randomBytes(3 * 1024 * 1024 + 17);
      const digest = sha256(bytes);
      const w = await store.writer({ ref: 'visibility', expected: { digest, size: bytes.length } });
      await w.write(bytes.subarray(0, 1000));
      await w.write(bytes.subarray(1000));
      expect((await w.status()).offset).toBe(bytes.length);
      await expect(store.info(digest)).rejects.toBeInstanceOf(NotFoundError);
      await expect(collect(store.read({ digest }))).rejects.toBeInstanceOf(NotFoundError);
      const desc = await w.commit();
      expect(desc.digest).toBe(digest);
      expect(desc.size).toBe(bytes.length);
      expect((await store.info(digest)).size).toBe(bytes.length);
      expect((await collect(store.read({ digest }))).equals(bytes)).toBe(true);
      expect((await collect(store.read({ digest }, { offset: 1000 }))).equals(bytes.subarray(1000))).toBe(
        true,
      );
      expect(await store.listIngests()).toEqual([]);
    });

    it('keeps the order of writes issued without awaiting each', async () => {
      const bytes = randomBytes(40 * 65536 + 3);
      const w = await store.writer({ ref: 'unawaited' });
      const writes: Promise<void>[] = [];
      for (let off = 0; off < bytes.length; off += 65536)
        writes.push(w.write(bytes.subarray(off, off + 65536)));
      await Promise.all(writes);
      const desc = await w.commit({ size: bytes.length });
      expect(desc.digest).toBe(sha256(bytes));
      expect((await collect(store.read({ digest: desc.digest }))).equals(bytes)).toBe(true);
    });

    it('resumes an ingest by ref at status().offset after close', async () => {
      const bytes = randomBytes(200_000);
      const digest = sha256(bytes);
      const w1 = await store.writer({ ref: 'resume-me', expected: { digest, size: bytes.length } });
      await w1.write(bytes.subarray(0, 70_000));
      await w1.close();
      const listed = await store.listIngests();
      expect(listed.map((s) => [s.ref, s.offset])).toEqual([['resume-me', 70_000]]);
      const w2 = await store.writer({ ref: 'resume-me', expected: { digest, size: bytes.length } });
      const { offset } = await w2.status();
      expect(offset).toBe(70_000);
      await w2.write(bytes.subarray(offset));
      await w2.commit({ digest, size: bytes.length });
      expect((await collect(store.read({ digest }))).equals(bytes)).toBe(true);
    });

    it('refuses a second live writer on the same ref', async () => {
      const w1 = await store.writer({ ref: 'busy' });
      await expect(store.writer({ ref: 'busy' })).rejects.toMatchObject({ code: 'INGEST_LOCKED' });
      await w1.abort();
      const w2 = await store.writer({ ref: 'busy' });
      expect((await w2.status()).offset).toBe(0);
      await w2.abort();
    });

    it('a second writer of a ref that names its digest waits for the first; both commit it', async () => {
      const bytes = randomBytes(100_000);
      const expected = { digest: sha256(bytes), size: bytes.length };
      const w1 = await store.writer({ ref: 'same-blob', expected });
      let second = false;
      const w2p = store.writer({ ref: 'same-blob', expected }).then((w) => {
        second = true;
        return w;
      });
      await w1.write(bytes);
      await new Promise((r) => setTimeout(r, 50));
      expect(second).toBe(false);
      expect((await w1.commit()).digest).toBe(expected.digest);
      const w2 = await w2p;
      await w2.write(bytes);
      expect((await w2.commit()).digest).toBe(expected.digest);
      expect((await collect(store.read({ digest: expected.digest }))).equals(bytes)).toBe(true);
    });

    it('abort discards the ingest and shows nothing', async () => {
      const bytes = randomBytes(5000);
      const w = await store.writer({ ref: 'abort-me' });
      await w.write(bytes);
      await w.abort();
      expect(await store.listIngests()).toEqual([]);
      await expect(store.info(sha256(bytes))).rejects.toBeInstanceOf(NotFoundError);
      // and abortIngest of a closed ingest works the same
      const w2 = await store.writer({ ref: 'abort-later' });
      await w2.write(bytes);
      await w2.close();
      await store.abortIngest('abort-later');
      expect(await store.listIngests()).toEqual([]);
      await expect(store.abortIngest('abort-later')).rejects.toBeInstanceOf(NotFoundError);
    });

    for (const kind of ['digest', 'size'] as const) {
      it(`a ${kind} mismatch throws IntegrityError and leaves no blob and no ingest`, async () => {
        const bytes = randomBytes(10_000);
        const other = randomBytes(10_000);
        const expected =
          kind === 'digest'
            ? { digest: sha256(other), size: bytes.length }
            : { digest: sha256(bytes), size: bytes.length + 1 };
        const w = await store.writer({ ref: `mismatch-${kind}` });
        await w.write(bytes);
        const error = await rejects(w.commit(expected));
        expect(error).toBeInstanceOf(IntegrityError);
        expect((error as IntegrityError).code).toBe(kind === 'digest' ? 'DIGEST_MISMATCH' : 'SIZE_MISMATCH');
        await expect(store.info(sha256(bytes))).rejects.toBeInstanceOf(NotFoundError);
        await expect(store.info(sha256(other))).rejects.toBeInstanceOf(NotFoundError);
        expect(await store.listIngests()).toEqual([]);
        const seen: string[] = [];
        await store.walk((i) => void seen.push(i.digest));
        expect(seen).toEqual([]);
      });
    }

    it('commits an existing digest as success and deletes blobs', async () => {
      const bytes = Buffer.from('hello, content');
      const a = await writeBlob(store, bytes, { mediaType: 'text/plain' });
      const b = await writeBlob(store, bytes);
      expect(a).toEqual({ mediaType: 'text/plain', digest: sha256(bytes), size: bytes.length });
      expect(b.digest).toBe(a.digest);
      await store.delete(a.digest);
      await expect(store.info(a.digest)).rejects.toBeInstanceOf(NotFoundError);
      await expect(store.delete(a.digest)).rejects.toBeInstanceOf(NotFoundError);
    });

    it('keeps, replaces and removes labels; walk filters on them', async () => {
      const x = await writeBlob(store, Buffer.from('x'));
      const y = await writeBlob(store, Buffer.from('y'));
      const z = await writeBlob(store, Buffer.from('z'));
      await store.updateLabels(x.digest, { role: 'config', keep: '1' });
      const updated = await store.updateLabels(y.digest, { role: 'layer' });
      expect(updated.labels).toEqual({ role: 'layer' });
      expect((await store.updateLabels(x.digest, { keep: '' })).labels).toEqual({ role: 'config' });
      expect((await store.info(x.digest)).labels).toEqual({ role: 'config' });
      const all: string[] = [];
      await store.walk((i) => void all.push(i.digest));
      expect(all.sort()).toEqual([x.digest, y.digest, z.digest].sort());
      const configs: string[] = [];
      await store.walk((i) => void configs.push(i.digest), { labels: { role: 'config' } });
      expect(configs).toEqual([x.digest]);
      const anyRole: string[] = [];
      await store.walk((i) => void anyRole.push(i.digest), { labels: { role: '*' } });
      expect(anyRole.sort()).toEqual([x.digest, y.digest].sort());
      const committed = await store.writer({ ref: 'labelled' });
      await committed.write(Buffer.from('w'));
      const d = await committed.commit(undefined, { labels: { origin: 'commit' } });
      expect((await store.info(d.digest)).labels).toEqual({ origin: 'commit' });
      await expect(store.updateLabels(sha256(Buffer.from('absent')), { a: 'b' })).rejects.toBeInstanceOf(
        NotFoundError,
      );
    });

    it('gc keeps leased and extra roots, sweeps the rest, and honours lease release and expiry', async () => {
      const lease = await store.createLease({ id: 'build-1' });
      expect((await store.listLeases()).map((l) => l.id)).toContain('build-1');
      const leased = await writeBlob(store, Buffer.from('leased'), { lease: lease.id });
      const extra = await writeBlob(store, Buffer.from('extra'));
      const loose = await writeBlob(store, Buffer.from('loose'));
      const expiring = await store.createLease({ expiresInMs: 1 });
      const shortLived = await writeBlob(store, Buffer.from('short'), { lease: expiring.id });
      await new Promise((r) => setTimeout(r, 5));
      const result = await store.gc({ extraRoots: [extra.digest] });
      expect([...result.removed].sort()).toEqual([loose.digest, shortLived.digest].sort());
      expect(result.bytesFreed).toBe(loose.size + shortLived.size);
      await store.info(leased.digest);
      await store.info(extra.digest);
      await store.deleteLease(lease.id);
      expect((await store.gc()).removed).toEqual(expect.arrayContaining([leased.digest, extra.digest]));
      await expect(store.info(leased.digest)).rejects.toBeInstanceOf(NotFoundError);
      await expect(store.deleteLease(lease.id)).rejects.toBeInstanceOf(NotFoundError);
      await expect(writeBlob(store, Buffer.from('q'), { lease: 'no-such-lease' })).rejects.toBeInstanceOf(
        NotFoundError,
      );
    });

    it('gc follows index -> manifest -> config and layers', async () => {
      if (!store.updateIndex) return;
      const layer = await writeBlob(store, Buffer.from('layer bytes'), {
        mediaType: 'application/vnd.oci.image.layer.v1.tar',
      });
      const config = await writeBlob(store, Buffer.from('{"architecture":"amd64","os":"linux"}'), {
        mediaType: 'application/vnd.oci.image.config.v1+json',
      });
      const manifestBytes = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config,
          layers: [layer],
        }),
      );
      const manifest = await writeBlob(store, manifestBytes, {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
      });
      const orphan = await writeBlob(store, Buffer.from('orphan'));
      await store.updateIndex((i) => ({ ...i, manifests: [...i.manifests, manifest] }));
      const { removed } = await store.gc();
      expect(removed).toEqual([orphan.digest]);
      for (const d of [layer, config, manifest]) await store.info(d.digest);
      expect((await store.readIndex?.())?.manifests.map((m: Descriptor) => m.digest)).toEqual([
        manifest.digest,
      ]);
    });

    it('two writers of the same digest both succeed', async () => {
      const bytes = randomBytes(300_000);
      const digest = sha256(bytes);
      const w1 = await store.writer({ ref: 'same-1', expected: { digest } });
      const w2 = await store.writer({ ref: 'same-2', expected: { digest } });
      await Promise.all([w1.write(bytes), w2.write(bytes)]);
      const [a, b] = await Promise.all([w1.commit(), w2.commit()]);
      expect(a.digest).toBe(digest);
      expect(b.digest).toBe(digest);
      expect((await collect(store.read({ digest }))).equals(bytes)).toBe(true);
      expect(await store.listIngests()).toEqual([]);
    });

    it('8 concurrent writers of different blobs', async () => {
      const blobs = Array.from({ length: 8 }, (_, i) => randomBytes(100_000 + i * 4099));
      await Promise.all(
        blobs.map(async (bytes, i) => {
          const w = await store.writer({ ref: `conc-${i}` });
          for (let off = 0; off < bytes.length; off += 8192) {
            await w.write(bytes.subarray(off, off + 8192));
            await new Promise((r) => setImmediate(r));
          }
          await w.commit({ digest: sha256(bytes), size: bytes.length });
        }),
      );
      for (const bytes of blobs)
        expect(Buffer.from(await readBlob(store, { digest: sha256(bytes) })).equals(bytes)).toBe(true);
    });

    it('readBlob verifies and caps; oversize JSON is a typed error', async () => {
      const json = Buffer.from(JSON.stringify({ pad: 'x'.repeat(5 * 1024 * 1024) }));
      const big = await writeBlob(store, json, { mediaType: 'application/vnd.oci.image.manifest.v1+json' });
      const e1 = await rejects(readBlob(store, big));
      expect(e1).toBeInstanceOf(InvalidInputError);
      expect((e1 as InvalidInputError).code).toBe('BLOB_TOO_LARGE');
      const e2 = await rejects(readBlob(store, { digest: big.digest }));
      expect((e2 as InvalidInputError).code).toBe('BLOB_TOO_LARGE');
      expect((await readBlob(store, big, { maxBytes: 6 * 1024 * 1024 })).byteLength).toBe(json.length);
      const small = await writeBlob(store, Buffer.from('{}'));
      await expect(readBlob(store, { digest: small.digest, size: 3 })).rejects.toBeInstanceOf(IntegrityError);
    });

    it('copyBlob and StoreSink move verified blobs', async () => {
      const bytes = randomBytes(50_000);
      const desc = await writeBlob(store, bytes);
      const sink = new StoreSink(store);
      expect(await sink.has(desc)).toBe(true);
      expect(await copyBlob(store, sink, desc)).toBe('exists');
      const fake = { ...desc, digest: sha256(randomBytes(10)) };
      expect(await sink.has(fake)).toBe(false);
      await expect(sink.put(fake, { descriptor: fake, open: () => store.read(desc) })).rejects.toBeInstanceOf(
        IntegrityError,
      );
      await expect(store.info(fake.digest)).rejects.toBeInstanceOf(NotFoundError);
    });

    it('bad digest strings are InvalidInputError everywhere', async () => {
      for (const bad of badDigests) {
        const d = bad as Digest;
        await expect(store.info(d)).rejects.toBeInstanceOf(InvalidInputError);
        await expect(store.delete(d)).rejects.toBeInstanceOf(InvalidInputError);
        await expect(store.updateLabels(d, {})).rejects.toBeInstanceOf(InvalidInputError);
        await expect(collect(store.read({ digest: d }))).rejects.toBeInstanceOf(InvalidInputError);
        await expect(readBlob(store, { digest: d })).rejects.toBeInstanceOf(InvalidInputError);
        await expect(store.writer({ ref: 'bad', expected: { digest: d } })).rejects.toBeInstanceOf(
          InvalidInputError,
        );
      }
      const w = await store.writer({ ref: 'bad-commit' });
      await w.write(Buffer.from('a'));
      await expect(w.commit({ digest: 'sha256:nothex' as Digest })).rejects.toBeInstanceOf(InvalidInputError);
      await expect(store.writer({ ref: '' })).rejects.toBeInstanceOf(InvalidInputError);
    });
  });
}
