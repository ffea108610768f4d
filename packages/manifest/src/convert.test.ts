import { type Digest, InvalidInputError, parseDigest } from '@lading/digest';
import { describe, expect, it } from 'vitest';
import { convertIndex, convertManifest } from './convert.js';
import { decodeIndex, decodeManifest } from './decode.js';

const d = (c: string): Digest => parseDigest(`sha256:${c.repeat(64)}`);
const enc = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

const oci = `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"${d('a')}","size":5},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"${d('b')}","size":10},{"mediaType":"application/vnd.oci.image.layer.v1.tar+zstd","digest":"${d('c')}","size":11}]}`;
const docker = `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"${d('a')}","size":5},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":"${d('b')}","size":10},{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.zstd","digest":"${d('c')}","size":11}]}`;

describe('convertManifest', () => {
  it('maps OCI to Docker types and back, byte for byte', () => {
    const toDocker = convertManifest(decodeManifest(enc(oci)), { oci: false });
    expect(text(toDocker.bytes)).toBe(docker);
    expect(toDocker.descriptor.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(text(convertManifest(toDocker, { oci: true }).bytes)).toBe(oci);
  });

  it('returns the same encoding when nothing changes', () => {
    const e = decodeManifest(enc(oci));
    expect(convertManifest(e, { oci: true })).toBe(e);
  });

  it('refuses subject, artifactType and annotations for Docker types unless told to drop annotations', () => {
    const withSubject = oci.replace(
      '"layers"',
      `"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"${d('e')}","size":1},"layers"`,
    );
    expect(() => convertManifest(decodeManifest(enc(withSubject)), { oci: false })).toThrow(
      InvalidInputError,
    );
    const withType = oci.replace('"config"', '"artifactType":"application/x.test","config"');
    expect(() => convertManifest(decodeManifest(enc(withType)), { oci: false })).toThrow(/artifactType/);
    const annotated = `${oci.slice(0, -1)},"annotations":{"a":"b"}}`;
    expect(() => convertManifest(decodeManifest(enc(annotated)), { oci: false })).toThrow(/annotations/);
    expect(
      text(convertManifest(decodeManifest(enc(annotated)), { oci: false, dropAnnotations: true }).bytes),
    ).toBe(docker);
  });
});

describe('convertIndex', () => {
  it('maps the list type and swaps converted children', () => {
    const index = `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"${d('1')}","size":3,"platform":{"architecture":"amd64","os":"linux"}}]}`;
    const children = new Map([
      [
        d('1') as string,
        { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest: d('2'), size: 4 },
      ],
    ]);
    const out = convertIndex(decodeIndex(enc(index)), { oci: false, children });
    expect(text(out.bytes)).toBe(
      `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"${d('2')}","size":4,"platform":{"architecture":"amd64","os":"linux"}}]}`,
    );
  });
});
