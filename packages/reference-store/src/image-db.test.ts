import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Digest,
  ExitCode,
  exitCodeFor,
  IntegrityError,
  InvalidInputError,
  NotFoundError,
} from '@lading/digest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chainId, chainIds } from './chain-id.js';
import { ImageDb } from './image-db.js';

const sha = (s: string | Uint8Array) => `sha256:${createHash('sha256').update(s).digest('hex')}` as Digest;
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lading-imagedb-'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

const d1 = sha('layer one');
const d2 = sha('layer two');
const d3 = sha('layer three');
const config = (diffIds: string[]) =>
  new TextEncoder().encode(
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds } }),
  );

describe('chainIds', () => {
  it('follows the image spec (computed here with node:crypto)', () => {
    const c2 = sha(`${d1} ${d2}`);
    const c3 = sha(`${c2} ${d3}`);
    expect(chainIds([d1, d2, d3])).toEqual([d1, c2, c3]);
    expect(chainId([d1])).toBe(d1);
    expect(chainId([])).toBeUndefined();
  });
});

describe('ImageDb', () => {
  it('stores configs under their digest (the image ID), idempotently', async () => {
    const db = await ImageDb.open(dir);
    const bytes = config([d1, d2]);
    const id = await db.create(bytes);
    expect(id).toBe(sha(bytes));
    expect(await db.create(bytes)).toBe(id);
    expect(await db.get(id)).toEqual(bytes);
    expect(await db.list()).toEqual([id]);
    expect(await db.layerChain(id)).toEqual([d1, sha(`${d1} ${d2}`)]);
  });

  it('keeps parent links', async () => {
    const db = await ImageDb.open(dir);
    const base = await db.create(config([d1]));
    const child = await db.create(config([d1, d2]));
    await db.setParent(child, base);
    expect(await db.getParent(child)).toBe(base);
    expect(await db.getParent(base)).toBeUndefined();
    expect(await db.children(base)).toEqual([child]);
  });

  it('refuses bad configs and unknown images with typed errors; detects tampering', async () => {
    const db = await ImageDb.open(dir);
    await expect(db.create(new TextEncoder().encode('{'))).rejects.toBeInstanceOf(InvalidInputError);
    await expect(db.create(new TextEncoder().encode('{"os":"linux"}'))).rejects.toThrow(/no RootFS/);
    await expect(db.get(sha('nothing'))).rejects.toBeInstanceOf(NotFoundError);
    await expect(db.delete(sha('nothing'))).rejects.toBeInstanceOf(NotFoundError);
    const id = await db.create(config([d1]));
    await writeFile(join(dir, 'content', 'sha256', id.slice(7)), 'tampered');
    await expect(db.get(id)).rejects.toBeInstanceOf(IntegrityError);
    await db.delete(id);
    expect(await db.list()).toEqual([]);
  });
});

describe('ImageDb.layerChain on a stored config that is not a config', () => {
  // Bytes another writer left under their own digest: they pass the hash check, so the JSON is what is judged.
  it.each([
    ['truncated JSON', '{"rootfs":'],
    ['JSON without rootfs', '{"os":"linux"}'],
    ['diff_ids that are not a list', '{"rootfs":{"diff_ids":"sha256:00"}}'],
  ])('refuses %s with CONFIG_INVALID (exit 3)', async (_, text) => {
    const db = await ImageDb.open(dir);
    const id = sha(text);
    await writeFile(join(dir, 'content', 'sha256', id.slice(7)), text);
    const err = await db.layerChain(id).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'invalid-input', code: 'CONFIG_INVALID' });
    expect(exitCodeFor(err)).toBe(ExitCode.invalidInput);
  });
});
