import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode, exitCodeFor } from '@lading/digest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLayoutReader } from './layout-reader.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lading-layout-reader-'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

describe('openLayoutReader on an index.json that is not JSON', () => {
  it.each([
    ['truncated', '{"schemaVersion":2,"manifests":['],
    ['a byte-order mark first', '\ufeff{"schemaVersion":2,"manifests":[]}'],
    ['an array', '[]'],
  ])('refuses %s with LAYOUT_INVALID (exit 3)', async (_, text) => {
    await writeFile(join(dir, 'index.json'), text);
    const err = await openLayoutReader(dir).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'invalid-input', code: 'LAYOUT_INVALID' });
    expect((err as Error).message).toContain(`${dir}/index.json`);
    expect(exitCodeFor(err)).toBe(ExitCode.invalidInput);
  });

  it('refuses bytes that are not UTF-8 with LAYOUT_INVALID', async () => {
    await writeFile(
      join(dir, 'index.json'),
      Buffer.concat([
        Buffer.from('{"schemaVersion":2,"manifests":[],"x":"'),
        Buffer.from([0xff]),
        Buffer.from('"}'),
      ]),
    );
    await expect(openLayoutReader(dir)).rejects.toMatchObject({ code: 'LAYOUT_INVALID' });
  });

  it('reads a well-formed index', async () => {
    await writeFile(join(dir, 'index.json'), '{"schemaVersion":2,"manifests":[]}');
    expect((await openLayoutReader(dir)).index.manifests).toEqual([]);
  });
});
