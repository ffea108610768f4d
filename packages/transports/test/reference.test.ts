import { describe, expect, it } from 'vitest';
import { formatImageReference, parseImageReference } from '../src/index.js';

describe('parseImageReference', () => {
  it('parses each transport as containers/image does', () => {
    expect(parseImageReference('oci:/srv/layout:v1')).toEqual({
      transport: 'oci',
      dir: '/srv/layout',
      ref: 'v1',
    });
    expect(parseImageReference('oci:/srv/layout')).toEqual({ transport: 'oci', dir: '/srv/layout' });
    // the path ends at the first colon; the rest is the ref name, which may hold colons
    expect(parseImageReference('oci:out:repo:tag')).toEqual({
      transport: 'oci',
      dir: 'out',
      ref: 'repo:tag',
    });
    expect(parseImageReference('oci-archive:/tmp/a.tar:latest')).toEqual({
      transport: 'oci-archive',
      file: '/tmp/a.tar',
      ref: 'latest',
    });
    expect(parseImageReference('dir:/tmp/d')).toEqual({ transport: 'dir', dir: '/tmp/d' });
    expect(parseImageReference('docker-archive:/tmp/d.tar')).toEqual({
      transport: 'docker-archive',
      file: '/tmp/d.tar',
    });
    expect(parseImageReference('docker-archive:/tmp/d.tar:busybox')).toEqual({
      transport: 'docker-archive',
      file: '/tmp/d.tar',
      ref: 'docker.io/library/busybox:latest',
    });
    expect(parseImageReference('docker-archive:/tmp/d.tar:@1')).toEqual({
      transport: 'docker-archive',
      file: '/tmp/d.tar',
      ref: '@1',
    });
    expect(parseImageReference('docker://busybox')).toEqual({
      transport: 'docker',
      ref: 'docker.io/library/busybox:latest',
    });
    expect(parseImageReference('docker://localhost:5000/a/b:1')).toEqual({
      transport: 'docker',
      ref: 'localhost:5000/a/b:1',
    });
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(parseImageReference(`docker://quay.io/x/y@${digest}`)).toEqual({
      transport: 'docker',
      ref: `quay.io/x/y@${digest}`,
    });
  });

  it('a bare name, or containers-storage:NAME, is the local storage', () => {
    expect(parseImageReference('myimage')).toEqual({ transport: 'containers-storage', name: 'myimage' });
    expect(parseImageReference('myimage:1.0')).toEqual({
      transport: 'containers-storage',
      name: 'myimage:1.0',
    });
    expect(parseImageReference('localhost:5000/app:1')).toEqual({
      transport: 'containers-storage',
      name: 'localhost:5000/app:1',
    });
    expect(parseImageReference('containers-storage:app:1')).toEqual({
      transport: 'containers-storage',
      name: 'app:1',
    });
    expect(parseImageReference('containers-storage:[vfs@/var/lib/containers/storage]app')).toEqual({
      transport: 'containers-storage',
      name: 'app',
    });
    expect(parseImageReference('a'.repeat(64))).toEqual({
      transport: 'containers-storage',
      name: 'a'.repeat(64),
    });
  });

  it('refuses bad names with containers/image texts and typed errors', () => {
    const bad: [string, string | RegExp][] = [
      ['foo://bar', 'Invalid image name "foo://bar", unknown transport "foo"'],
      ['docker:busybox', 'docker: image reference busybox does not start with //'],
      ['oci:/x:Bad Name', /Invalid image Bad Name/],
      [
        'docker-archive:/x.tar:busybox@sha256:' + 'a'.repeat(64),
        /docker-archive doesn't support digest references/,
      ],
      ['ostree:busybox@/ostree/repo', /transport "ostree" is not supported/],
      ['UPPER CASE', /expected colon-separated transport:reference/],
      ['', /Invalid image name ""/],
      ['dir:', /empty path/],
    ];
    // no transport reads these: a usage error (exit 2) naming the transports there are
    const unknown = new Set(['foo://bar', 'ostree:busybox@/ostree/repo', 'UPPER CASE']);
    for (const [input, message] of bad) {
      expect(() => parseImageReference(input), input).toThrow(message);
      try {
        parseImageReference(input);
      } catch (e) {
        expect((e as { kind: string }).kind, input).toBe(unknown.has(input) ? 'option' : 'invalid-input');
        if (unknown.has(input)) {
          expect((e as Error).message).toContain(
            'oci-archive: dir: docker-archive: docker:// docker-daemon:',
          );
        }
      }
    }
  });

  it('a Foo/Bar is no store name and no transport: a usage error naming the transports', () => {
    expect(() => parseImageReference('Foo/Bar')).toThrow(
      /expected colon-separated transport:reference.*oci:/,
    );
  });

  it('formats names as containers/image prints them', () => {
    expect(formatImageReference(parseImageReference('docker://docker.io/library/busybox:latest'))).toBe(
      'docker://busybox:latest',
    );
    expect(formatImageReference(parseImageReference('oci:/a'))).toBe('oci:/a:');
    expect(formatImageReference(parseImageReference('oci-archive:/a.tar:t'))).toBe('oci-archive:/a.tar:t');
    expect(formatImageReference(parseImageReference('docker-archive:/a.tar:x:1'))).toBe(
      'docker-archive:/a.tar:docker.io/library/x:1',
    );
  });
});
