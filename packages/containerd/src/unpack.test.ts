import { createMemoryStore, writeBlob } from '@lading/content-store';
import { ExitCode, exitCodeFor, MediaType } from '@lading/digest';
import { describe, expect, it } from 'vitest';
import { type UnpackTarget, unpackImage } from './unpack.js';

const encode = (s: string) => new TextEncoder().encode(s);

describe('unpackImage on a config that is not JSON', () => {
  it.each([
    ['truncated', encode('{"rootfs":{"diff_ids":[')],
    ['not UTF-8', new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])],
    ['a string', encode('"config"')],
  ])('refuses %s with CONFIG_INVALID (exit 3) before it asks the snapshotter', async (_, bytes) => {
    const content = createMemoryStore();
    const config = await writeBlob(content, bytes, { mediaType: MediaType.ociConfig });
    const manifest = await writeBlob(
      content,
      encode(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers: [] })),
      { mediaType: MediaType.ociManifest },
    );
    // Only the content store is there: anything past the config would fail on the missing services.
    const target = { content } as unknown as UnpackTarget;
    const err = await unpackImage(target, manifest, {
      snapshotter: 'overlayfs',
      platform: { os: 'linux', architecture: 'amd64' },
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'invalid-input', code: 'CONFIG_INVALID' });
    expect((err as Error).message).toContain(config.digest);
    expect(exitCodeFor(err)).toBe(ExitCode.invalidInput);
  });
});
