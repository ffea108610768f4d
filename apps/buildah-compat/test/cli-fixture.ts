// What the lading-buildah CLI tests share: a source tree to copy, a fresh storage root per test, and a reader of an
// image in storage checked against its digests. The exported bindings are live (set by useCliFixture's beforeAll).
import { createHash } from 'node:crypto';
import { mkdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, type TempDir } from '@lading/testkit';
import { afterAll, beforeAll, expect } from 'vitest';
import { layoutBlob, lb } from './helpers.js';

export let tmp: TempDir;
export let src: string;
/** How many roots newRoot made: tests name their own temp files after it. */
export let n = 0;
/** A fresh storage root per test: nothing leaks between them. */
export const newRoot = () => join(tmp.path, `root-${++n}`);
export const pinned = new Date('2001-02-03T04:05:06Z');

/** The source tree every test copies (times pinned), made before the file's tests and removed after. */
export function useCliFixture(): void {
  beforeAll(async () => {
    tmp = await makeTempDir('lading-buildah-cli-');
    src = join(tmp.path, 'src');
    await mkdir(join(src, 'sub'), { recursive: true });
    await writeFile(join(src, 'a.txt'), 'hello\n');
    await writeFile(join(src, 'sub', 'b.sh'), '#!/bin/sh\necho b\n', { mode: 0o755 });
    for (const p of ['a.txt', 'sub/b.sh', 'sub', '.']) await utimes(join(src, p), pinned, pinned);
  });
  afterAll(async () => tmp?.cleanup());
}

export interface Manifest {
  mediaType: string;
  config: { digest: string; mediaType: string };
  layers: { digest: string; mediaType: string; size: number }[];
  annotations?: Record<string, string>;
}

/** The manifest and config of an image in our storage, read from the blob files and checked against their digests. */
export async function storedImage(root: string, id: string) {
  const images = JSON.parse(await readFile(join(root, 'images.json'), 'utf8')) as {
    id: string;
    names: string[];
    manifest: { digest: string };
  }[];
  const record = images.find((i) => i.id === id);
  if (!record) throw new Error(`image ${id} not in images.json`);
  const layout = join(root, 'blobs');
  const manifestBytes = await layoutBlob(layout, record.manifest.digest);
  expect(`sha256:${createHash('sha256').update(manifestBytes).digest('hex')}`).toBe(record.manifest.digest);
  const manifest = JSON.parse(manifestBytes.toString()) as Manifest;
  const configBytes = await layoutBlob(layout, manifest.config.digest);
  expect(createHash('sha256').update(configBytes).digest('hex')).toBe(id);
  const config = JSON.parse(configBytes.toString());
  return { record, manifest, config, layout };
}

export async function scratchWithSrc(root: string, extra: string[] = []): Promise<string> {
  const c = await lb(root, ['from', ...extra, 'scratch']);
  await lb(root, ['copy', c, src, '/app']);
  return c;
}
