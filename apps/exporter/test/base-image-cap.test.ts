import { join } from 'node:path';
import { makeTempDir, type TempDir } from '@lading/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readOciLayoutImage } from '../src/operations/base-image.js';
import { emptyConfig, handWrittenLayout } from './helpers.js';

// The base image's config is read whole, capped at 8 MiB like image-config's parse: more than a blob read's 4 MiB
// default, less than anything that would not be an image config.
let dir: TempDir;
beforeEach(async () => {
  dir = await makeTempDir('lading-base-cap-');
});
afterEach(async () => dir.cleanup());

const padded = (size: number) => {
  const head = emptyConfig({ pad: '' });
  return head.replace('"pad":""', `"pad":"${'x'.repeat(size - head.length)}"`);
};
const linux = { os: 'linux', architecture: 'amd64' };

describe('the config cap of a base image read', () => {
  it('reads a config of exactly 8 MiB, and a 5 MiB one (over the 4 MiB default)', async () => {
    for (const size of [5 * 1024 * 1024, 8 * 1024 * 1024]) {
      const config = padded(size);
      expect(config.length).toBe(size);
      const layout = await handWrittenLayout(join(dir.path, String(size)), config);
      const base = await readOciLayoutImage(`oci:${layout}:base`, linux);
      expect(base.config.byteLength).toBe(size);
      expect(base.layers).toEqual([]);
    }
  });

  it('refuses 8 MiB + 1 with BLOB_TOO_LARGE before reading it whole', async () => {
    const layout = await handWrittenLayout(join(dir.path, 'over'), padded(8 * 1024 * 1024 + 1));
    await expect(readOciLayoutImage(`oci:${layout}:base`, linux)).rejects.toMatchObject({
      code: 'BLOB_TOO_LARGE',
      kind: 'invalid-input',
      message: expect.stringContaining('over the 8388608-byte limit'),
    });
  });
});
