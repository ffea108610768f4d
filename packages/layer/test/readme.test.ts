import { createHash } from 'node:crypto';
import { readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { makeTempDir, prepareReadmeExample, runReadmeExample } from '@lading/testkit';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('README example', () => {
  it('compiles and runs: ./rootfs becomes a gzip blob in ./layout and is applied again into ./out', async () => {
    await using tmp = await makeTempDir('lading-readme-');
    await using setup = await prepareReadmeExample('layer', tmp.path);
    const { stdout } = await runReadmeExample(packageDir, { cwd: tmp.path, env: setup.env });
    const [diffId, digest] = stdout.trim().split(' ') as [string, string];
    // The layout's copy of the blob, hashed and gunzipped here (node:crypto, node:zlib).
    const blob = await readFile(join(tmp.path, 'layout/blobs/sha256', digest.slice('sha256:'.length)));
    expect(sha256(blob)).toBe(digest);
    expect(sha256(gunzipSync(blob))).toBe(diffId);
    expect(await readFile(join(tmp.path, 'out/etc/hostname'), 'utf8')).toBe('app\n');
    expect(await readFile(join(tmp.path, 'out/README'), 'utf8')).toBe('a tree for a layer\n');
    expect(await readlink(join(tmp.path, 'out/name'))).toBe('etc/hostname');
  });
});
