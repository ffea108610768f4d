import { InvalidInputError } from '@lading/digest';
import { describe, expect, it } from 'vitest';
import {
  familiarString,
  formatReference,
  isLocalhost,
  parseNormalizedReference,
  parseReference,
  registryApiHost,
  withDefaultTag,
} from './reference.js';

const H = 'a'.repeat(64);
const D = `sha256:${H}`;

// [input, normalised full form, familiar form], all written from the distribution grammar and Docker's rules.
const valid: [string, string, string][] = [
  ['ubuntu', 'docker.io/library/ubuntu', 'ubuntu'],
  ['ubuntu:20.04', 'docker.io/library/ubuntu:20.04', 'ubuntu:20.04'],
  ['library/ubuntu', 'docker.io/library/ubuntu', 'ubuntu'],
  ['docker.io/ubuntu', 'docker.io/library/ubuntu', 'ubuntu'],
  ['docker.io/library/ubuntu:latest', 'docker.io/library/ubuntu:latest', 'ubuntu:latest'],
  ['index.docker.io/ubuntu', 'docker.io/library/ubuntu', 'ubuntu'],
  ['index.docker.io/foo/bar:1', 'docker.io/foo/bar:1', 'foo/bar:1'],
  ['foo/bar', 'docker.io/foo/bar', 'foo/bar'],
  ['foo/bar/baz', 'docker.io/foo/bar/baz', 'foo/bar/baz'],
  ['docker.io/library/foo/bar', 'docker.io/library/foo/bar', 'library/foo/bar'],
  ['localhost/foo', 'localhost/foo', 'localhost/foo'],
  ['localhost:5000/foo', 'localhost:5000/foo', 'localhost:5000/foo'],
  ['localhost:5000/foo/bar:tag', 'localhost:5000/foo/bar:tag', 'localhost:5000/foo/bar:tag'],
  ['127.0.0.1:5000/team/app:1.0', '127.0.0.1:5000/team/app:1.0', '127.0.0.1:5000/team/app:1.0'],
  ['registry.example.com/app', 'registry.example.com/app', 'registry.example.com/app'],
  ['registry.example.com:443/a/b/c', 'registry.example.com:443/a/b/c', 'registry.example.com:443/a/b/c'],
  ['localhost:65535/foo', 'localhost:65535/foo', 'localhost:65535/foo'],
  ['[::1]:5000/foo', '[::1]:5000/foo', '[::1]:5000/foo'],
  ['[2001:db8::1]/foo:v', '[2001:db8::1]/foo:v', '[2001:db8::1]/foo:v'],
  ['my-registry/foo', 'docker.io/my-registry/foo', 'my-registry/foo'],
  ['Registry.Example.com/foo', 'Registry.Example.com/foo', 'Registry.Example.com/foo'],
  ['a.b-c/foo', 'a.b-c/foo', 'a.b-c/foo'],
  ['foo_bar', 'docker.io/library/foo_bar', 'foo_bar'],
  ['foo__bar', 'docker.io/library/foo__bar', 'foo__bar'],
  ['foo.bar', 'docker.io/library/foo.bar', 'foo.bar'],
  ['foo-bar', 'docker.io/library/foo-bar', 'foo-bar'],
  ['foo---bar', 'docker.io/library/foo---bar', 'foo---bar'],
  ['a/b.c_d__e-f', 'docker.io/a/b.c_d__e-f', 'a/b.c_d__e-f'],
  ['foo:Tag_1.0-x', 'docker.io/library/foo:Tag_1.0-x', 'foo:Tag_1.0-x'],
  [`foo:${'t'.repeat(128)}`, `docker.io/library/foo:${'t'.repeat(128)}`, `foo:${'t'.repeat(128)}`],
  ['foo:_x', 'docker.io/library/foo:_x', 'foo:_x'],
  [`foo@${D}`, `docker.io/library/foo@${D}`, `foo@${D}`],
  [`foo:v1@${D}`, `docker.io/library/foo:v1@${D}`, `foo:v1@${D}`],
  [`localhost:5000/foo@${D}`, `localhost:5000/foo@${D}`, `localhost:5000/foo@${D}`],
  [`ghcr.io/o/r:t@${D}`, `ghcr.io/o/r:t@${D}`, `ghcr.io/o/r:t@${D}`],
  ['a', 'docker.io/library/a', 'a'],
  ['0', 'docker.io/library/0', '0'],
  ['example.com/a:1', 'example.com/a:1', 'example.com/a:1'],
  ['xn--bcher-kva.example/a', 'xn--bcher-kva.example/a', 'xn--bcher-kva.example/a'],
];

// [input, error code]: each names the part that is wrong.
const invalid: [string, string][] = [
  ['', 'REFERENCE_EMPTY'],
  ['Ubuntu', 'REFERENCE_UPPERCASE'],
  ['docker.io/Foo/bar', 'REFERENCE_UPPERCASE'],
  ['localhost:5000/Foo', 'REFERENCE_UPPERCASE'],
  ['foo:', 'REFERENCE_TAG_INVALID'],
  ['foo:-x', 'REFERENCE_TAG_INVALID'],
  ['foo:.x', 'REFERENCE_TAG_INVALID'],
  [`foo:${'t'.repeat(129)}`, 'REFERENCE_TAG_INVALID'],
  ['foo:a/b', 'REFERENCE_DOMAIN_INVALID'], // 'foo:a' contains ':' so it is read as host:port
  ['foo@sha256:abc', 'REFERENCE_DIGEST_INVALID'],
  [`foo@sha256:${'a'.repeat(63)}`, 'REFERENCE_DIGEST_INVALID'],
  [`foo@sha256:${'a'.repeat(65)}`, 'REFERENCE_DIGEST_INVALID'],
  [`foo@sha512:${H}`, 'REFERENCE_DIGEST_INVALID'],
  ['foo@', 'REFERENCE_DIGEST_INVALID'],
  ['foo..bar', 'REFERENCE_PATH_INVALID'],
  ['foo___bar', 'REFERENCE_PATH_INVALID'],
  ['-foo', 'REFERENCE_PATH_INVALID'],
  ['foo-', 'REFERENCE_PATH_INVALID'],
  ['foo/', 'REFERENCE_PATH_INVALID'],
  ['/foo', 'REFERENCE_PATH_INVALID'],
  ['foo//bar', 'REFERENCE_PATH_INVALID'],
  ['foo bar', 'REFERENCE_PATH_INVALID'],
  ['foo/.bar', 'REFERENCE_PATH_INVALID'],
  ['-registry.com/foo', 'REFERENCE_DOMAIN_INVALID'],
  ['registry.com:port/foo', 'REFERENCE_DOMAIN_INVALID'],
  ['[::1/foo', 'REFERENCE_DOMAIN_INVALID'],
  ['localhost:65536/foo', 'REFERENCE_PORT_INVALID'],
  ['registry.example:99999999999999999999/foo:1', 'REFERENCE_PORT_INVALID'],
  ['[::1]:70000/foo', 'REFERENCE_PORT_INVALID'],
  [H, 'REFERENCE_IMAGE_ID'],
  [`a/${'b'.repeat(254)}`, 'REFERENCE_TOO_LONG'],
];

describe('parseNormalizedReference', () => {
  it.each(valid)('%s -> %s', (input, full, familiar) => {
    const ref = parseNormalizedReference(input);
    expect(formatReference(ref)).toBe(full);
    expect(familiarString(ref)).toBe(familiar);
  });

  it.each(invalid)('%j is refused with %s', (input, code) => {
    try {
      parseNormalizedReference(input);
      expect.unreachable(`accepted ${input}`);
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidInputError);
      expect((e as InvalidInputError).code).toBe(code);
      expect((e as Error).message).toContain(JSON.stringify(input).slice(0, 20));
    }
  });

  it('has a table of 60+ cases', () => {
    expect(valid.length + invalid.length).toBeGreaterThanOrEqual(60);
  });

  it('splits the parts', () => {
    expect(parseNormalizedReference(`localhost:5000/a/b:c@${D}`)).toEqual({
      registry: 'localhost:5000',
      repository: 'a/b',
      tag: 'c',
      digest: D,
    });
  });

  it('adds latest only when asked, and only to a bare name', () => {
    expect(parseNormalizedReference('ubuntu').tag).toBeUndefined();
    expect(withDefaultTag(parseNormalizedReference('ubuntu')).tag).toBe('latest');
    expect(withDefaultTag(parseNormalizedReference(`ubuntu@${D}`)).tag).toBeUndefined();
    expect(withDefaultTag(parseNormalizedReference('ubuntu:1')).tag).toBe('1');
  });
});

describe('parseReference (no normalisation)', () => {
  it('keeps a bare name bare', () => {
    expect(parseReference('ubuntu')).toEqual({ registry: '', repository: 'ubuntu' });
    expect(parseReference('foo/bar:1')).toEqual({ registry: '', repository: 'foo/bar', tag: '1' });
    expect(parseReference('example.com/foo')).toEqual({ registry: 'example.com', repository: 'foo' });
    expect(() => parseReference('example.com:65536/foo')).toThrow(/port 65536 is above 65535/);
  });
});

describe('registry helpers', () => {
  it.each([
    ['localhost', true],
    ['localhost:5000', true],
    ['127.0.0.1:5000', true],
    ['127.1.2.3', true],
    ['[::1]:5000', true],
    ['example.com', false],
    ['10.0.0.1:5000', false],
    ['localhost.example.com', false],
  ])('isLocalhost(%s) = %s', (r, want) => {
    expect(isLocalhost(r)).toBe(want);
  });

  it('maps Docker Hub to its API host', () => {
    expect(registryApiHost('docker.io')).toBe('registry-1.docker.io');
    expect(registryApiHost('ghcr.io')).toBe('ghcr.io');
  });
});
