import { type Descriptor, type Digest, ExitCode, exitCodeFor } from '@lading/digest';
import { describe, expect, it } from 'vitest';
import { layoutEntry } from './image-location.js';

// As containers/image reads oci:DIR:TAG (oci/layout/oci_transport.go getManifestDescriptor), for copy and verify.
const entry = (hex: string, mediaType: string, ref: string): Descriptor => ({
  mediaType,
  digest: `sha256:${hex.repeat(64)}` as Digest,
  size: 1,
  annotations: { 'org.opencontainers.image.ref.name': ref },
});
const manifest = 'application/vnd.oci.image.manifest.v1+json';

describe('layoutEntry', () => {
  it('two entries tagged latest: the first, as skopeo copies it', () => {
    const first = entry('a', manifest, 'latest');
    expect(layoutEntry([first, entry('b', manifest, 'latest')], { dir: '/l', tag: 'latest' })).toBe(first);
  });

  it('a tag only an artifact carries: OCI_IMAGE_UNSUPPORTED_TYPE (exit 3)', () => {
    let err: unknown;
    try {
      layoutEntry([entry('a', 'application/vnd.example+json', 'latest')], { dir: '/l', tag: 'latest' });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ kind: 'invalid-input', code: 'OCI_IMAGE_UNSUPPORTED_TYPE' });
    expect(exitCodeFor(err)).toBe(ExitCode.invalidInput);
  });

  it('no tag and two images: OCI_IMAGE_NOT_FOUND naming the count (exit 4)', () => {
    const two = [entry('a', manifest, 'x'), entry('b', manifest, 'y')];
    expect(() => layoutEntry(two, { dir: '/l', tag: undefined })).toThrow(
      expect.objectContaining({
        code: 'OCI_IMAGE_NOT_FOUND',
        message: '/l holds 2 images: name one as oci:/l:TAG',
      }),
    );
  });
});
