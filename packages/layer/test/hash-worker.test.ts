import { createHash, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { OffThreadSha256 } from '../src/hash-worker.js';

const open: OffThreadSha256[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

function shared(bytes: Uint8Array): Uint8Array {
  const view = new Uint8Array(new SharedArrayBuffer(bytes.byteLength + 16), 8, bytes.byteLength);
  view.set(bytes);
  return view;
}

describe('OffThreadSha256', () => {
  it('hashes shared blocks in the order given, refilled after each update resolves, as node:crypto does', async () => {
    const h = new OffThreadSha256();
    open.push(h);
    const parts = [randomBytes(100_000), randomBytes(1), randomBytes(65_537), randomBytes(0)];
    const block = shared(new Uint8Array(100_000));
    for (const p of parts) {
      block.set(p);
      await h.update(block.subarray(0, p.byteLength));
    }
    const expected = createHash('sha256');
    for (const p of parts) expected.update(p);
    expect(await h.digest()).toBe(`sha256:${expected.digest('hex')}`);
    expect(h.size).toBe(parts.reduce((n, p) => n + p.byteLength, 0));
  });

  it('keeps the order of updates that are not awaited one by one', async () => {
    const h = new OffThreadSha256();
    open.push(h);
    const blocks = Array.from({ length: 8 }, () => shared(randomBytes(4096)));
    await Promise.all(blocks.map((b) => h.update(b)));
    const expected = createHash('sha256');
    for (const b of blocks) expected.update(b);
    expect(await h.digest()).toBe(`sha256:${expected.digest('hex')}`);
  });

  it('refuses memory that is not shared', () => {
    const h = new OffThreadSha256();
    open.push(h);
    expect(() => h.update(new Uint8Array(4))).toThrow(TypeError);
  });
});
