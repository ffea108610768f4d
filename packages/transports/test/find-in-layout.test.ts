import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode, exitCodeFor } from '@lading/digest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findInLayout } from '../src/index.js';

// containers/image oci/layout/oci_transport.go (getManifestDescriptor): with a ref, the first entry of that name in
// index order whose media type is an image manifest or index; only other types named is an error; none is not found.
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lading-find-in-layout-'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

const entry = (hex: string, mediaType: string, ref?: string) => ({
  mediaType,
  digest: `sha256:${hex.repeat(64)}`,
  size: 1,
  ...(ref !== undefined ? { annotations: { 'org.opencontainers.image.ref.name': ref } } : {}),
});
const index = (manifests: unknown[]) =>
  writeFile(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests }));
const manifest = 'application/vnd.oci.image.manifest.v1+json';
const sbom = 'application/vnd.example.sbom+json';

describe('findInLayout', () => {
  it('oci:DIR:latest with two entries named latest reads the first in index order', async () => {
    await index([entry('a', manifest, 'latest'), entry('b', manifest, 'latest')]);
    expect((await findInLayout(dir, 'latest', `oci:${dir}:latest`)).digest).toBe(`sha256:${'a'.repeat(64)}`);
  });

  it('passes over an entry of that name that is no image', async () => {
    await index([entry('a', sbom, 'latest'), entry('b', manifest, 'latest')]);
    expect((await findInLayout(dir, 'latest', `oci:${dir}:latest`)).digest).toBe(`sha256:${'b'.repeat(64)}`);
  });

  it('refuses a name only other media types carry: IMAGE_UNSUPPORTED_TYPE, exit 3', async () => {
    await index([entry('a', sbom, 'latest'), entry('b', manifest, 'other')]);
    const err = await findInLayout(dir, 'latest', `oci:${dir}:latest`).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'invalid-input', code: 'IMAGE_UNSUPPORTED_TYPE' });
    expect((err as Error).message).toBe(
      `oci:${dir}:latest: reference "latest" matches unsupported manifest MIME types ["${sbom}"]`,
    );
    expect(exitCodeFor(err)).toBe(ExitCode.invalidInput);
  });

  it('without a name: the only entry; several is IMAGE_AMBIGUOUS, a missing name IMAGE_NOT_FOUND (exit 4)', async () => {
    await index([entry('a', manifest)]);
    expect((await findInLayout(dir, undefined, `oci:${dir}`)).digest).toBe(`sha256:${'a'.repeat(64)}`);
    await index([entry('a', manifest), entry('b', manifest)]);
    await expect(findInLayout(dir, undefined, `oci:${dir}`)).rejects.toMatchObject({
      code: 'IMAGE_AMBIGUOUS',
    });
    const missing = await findInLayout(dir, 'nope', `oci:${dir}:nope`).catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: 'IMAGE_NOT_FOUND' });
    expect(exitCodeFor(missing)).toBe(ExitCode.notFound);
  });
});
