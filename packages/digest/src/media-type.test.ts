import { describe, expect, it } from 'vitest';
import { isForeignLayer, isNonDistributableMediaType, MediaType } from './media-type.js';

// distribution's manifest verification (registry/storage/schema2manifesthandler.go, ocimanifesthandler.go): a
// foreign or non-distributable layer with URLs need not be in the repository; one without URLs must be; an ordinary
// layer with URLs is refused or checked like any other. containerd's images.IsNonDistributable is by media type.
describe('foreign layers', () => {
  const urls = ['https://example.com/l'];
  it('non-distributable by media type: the OCI nondistributable family and Docker foreign layers', () => {
    expect(isNonDistributableMediaType(MediaType.ociLayerNondistributable)).toBe(true);
    expect(isNonDistributableMediaType(MediaType.ociLayerNondistributableZstd)).toBe(true);
    expect(isNonDistributableMediaType(MediaType.dockerForeignLayer)).toBe(true);
    expect(isNonDistributableMediaType('application/vnd.docker.image.rootfs.foreign.diff.tar')).toBe(true);
    expect(isNonDistributableMediaType(MediaType.ociLayerGzip)).toBe(false);
    expect(isNonDistributableMediaType(MediaType.dockerLayerGzip)).toBe(false);
  });
  it('foreign: non-distributable and with URLs, nothing else', () => {
    expect(isForeignLayer({ mediaType: MediaType.dockerForeignLayer, urls })).toBe(true);
    expect(isForeignLayer({ mediaType: MediaType.ociLayerNondistributableGzip, urls })).toBe(true);
    expect(isForeignLayer({ mediaType: MediaType.ociLayerNondistributableGzip })).toBe(false);
    expect(isForeignLayer({ mediaType: MediaType.dockerForeignLayer, urls: [] })).toBe(false);
    expect(isForeignLayer({ mediaType: MediaType.ociLayerGzip, urls })).toBe(false);
  });
});
