import { createMemoryStore, writeBlob } from '@lading/content-store';
import { ExitCode, exitCodeFor, MediaType } from '@lading/digest';
import { describe, expect, it } from 'vitest';
import { copyImageGraph } from './copy-image.js';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('copyImageGraph on a manifest that is not JSON', () => {
  it.each([
    ['truncated', bytes('{"schemaVersion":2,"layers":[')],
    ['not UTF-8', new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])],
    ['an array', bytes('[]')],
  ])('refuses %s with MANIFEST_INVALID (exit 3) and copies nothing', async (_, body) => {
    const src = createMemoryStore();
    const dst = createMemoryStore();
    const desc = await writeBlob(src, body, { mediaType: MediaType.ociManifest });
    const err = await copyImageGraph(src, dst, desc).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'invalid-input', code: 'MANIFEST_INVALID' });
    expect((err as Error).message).toContain(desc.digest);
    expect(exitCodeFor(err)).toBe(ExitCode.invalidInput);
    await expect(dst.info(desc.digest)).rejects.toMatchObject({ code: 'BLOB_NOT_FOUND' });
  });
});
