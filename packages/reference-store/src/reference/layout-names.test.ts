import { describe, expect, it } from 'vitest';
import { layoutEntriesNamed, pickLayoutEntry, unsupportedLayoutTypes } from './layout-names.js';

const entry = (refName: string | undefined, imageName: string | undefined, id: string) => ({
  id,
  annotations: {
    ...(refName !== undefined ? { 'org.opencontainers.image.ref.name': refName } : {}),
    ...(imageName !== undefined ? { 'io.containerd.image.name': imageName } : {}),
  },
});

describe('layoutEntriesNamed', () => {
  const buildkit = entry('latest', 'docker.io/library/hello:latest', 'hello');
  const other = entry('1', 'registry.example/team/app:1', 'app');

  it('matches the ref name as skopeo does', () => {
    expect(layoutEntriesNamed([buildkit, other], 'latest').map((e) => e.id)).toEqual(['hello']);
    expect(layoutEntriesNamed([buildkit, other], '1').map((e) => e.id)).toEqual(['app']);
  });

  it('finds a BuildKit-named entry by the name it was exported as, normalised as Docker does', () => {
    for (const ref of ['hello', 'hello:latest', 'library/hello', 'docker.io/library/hello:latest']) {
      expect(layoutEntriesNamed([buildkit, other], ref).map((e) => e.id)).toEqual(['hello']);
    }
    expect(layoutEntriesNamed([buildkit, other], 'registry.example/team/app:1').map((e) => e.id)).toEqual([
      'app',
    ]);
  });

  it('prefers an exact ref name, and matches nothing for another tag or a name that is not one', () => {
    const literal = entry('hello', undefined, 'literal');
    expect(layoutEntriesNamed([buildkit, literal], 'hello').map((e) => e.id)).toEqual(['literal']);
    expect(layoutEntriesNamed([buildkit], 'hello:2')).toEqual([]);
    expect(layoutEntriesNamed([buildkit], 'Not/A:Name!')).toEqual([]);
    expect(layoutEntriesNamed([entry(undefined, undefined, 'bare')], 'hello')).toEqual([]);
  });
});

describe('pickLayoutEntry (containers/image oci/layout/oci_transport.go getManifestDescriptor)', () => {
  const manifest = 'application/vnd.oci.image.manifest.v1+json';
  const named = (ref: string, mediaType: string, id: string) => ({
    id,
    mediaType,
    annotations: { 'org.opencontainers.image.ref.name': ref },
  });

  it('two entries named latest: the first in index order, as skopeo and buildah read it', () => {
    const first = named('latest', manifest, 'first');
    const second = named('latest', 'application/vnd.oci.image.index.v1+json', 'second');
    expect(pickLayoutEntry([first, second], 'latest')).toEqual({ entry: first });
    expect(pickLayoutEntry([second, first], 'latest')).toEqual({ entry: second });
  });

  it('skips a named entry that is no image for the next one that is, OCI or Docker', () => {
    const artifact = named('latest', 'application/vnd.example.sbom+json', 'artifact');
    const docker = named('latest', 'application/vnd.docker.distribution.manifest.v2+json', 'docker');
    expect(pickLayoutEntry([artifact, docker], 'latest')).toEqual({ entry: docker });
    expect(pickLayoutEntry([artifact], 'latest')).toEqual({
      unsupported: ['application/vnd.example.sbom+json'],
    });
    expect(unsupportedLayoutTypes('latest', ['a/b', 'c/d'])).toBe(
      'reference "latest" matches unsupported manifest MIME types ["a/b" "c/d"]',
    );
  });

  it('no ref: the only entry, whatever its type; none or several is said', () => {
    const one = named('x', 'application/vnd.example.sbom+json', 'one');
    expect(pickLayoutEntry([one], undefined)).toEqual({ entry: one });
    expect(pickLayoutEntry([one], '')).toEqual({ entry: one });
    expect(pickLayoutEntry([], undefined)).toEqual({ missing: true });
    expect(pickLayoutEntry([one, one], undefined)).toEqual({ several: 2 });
    expect(pickLayoutEntry([one], 'other')).toEqual({ missing: true });
  });
});
