import { describe, expect, it } from 'vitest';
import { formatImageReference, parseImageReference } from './reference.js';

const d = `sha256:${'a'.repeat(64)}`;

describe('parseImageReference', () => {
  it('normalises Docker Hub names and keeps registries with ports', () => {
    expect(parseImageReference('ubuntu')).toEqual({ registry: 'docker.io', repository: 'library/ubuntu' });
    expect(parseImageReference('user/app:1.0')).toEqual({
      registry: 'docker.io',
      repository: 'user/app',
      tag: '1.0',
    });
    expect(parseImageReference('127.0.0.1:5000/a/b:t')).toEqual({
      registry: '127.0.0.1:5000',
      repository: 'a/b',
      tag: 't',
    });
    expect(parseImageReference(`localhost/x@${d}`)).toEqual({
      registry: 'localhost',
      repository: 'x',
      digest: d,
    });
    expect(parseImageReference(`r.example/x:t@${d}`)).toEqual({
      registry: 'r.example',
      repository: 'x',
      tag: 't',
      digest: d,
    });
  });
  it('rejects bad names, tags and digests with InvalidInputError', () => {
    for (const bad of ['r.example/UPPER', 'r.example/x:', 'r.example/x@sha256:zz', 'r.example/-x', '']) {
      expect(() => parseImageReference(bad)).toThrow(expect.objectContaining({ kind: 'invalid-input' }));
    }
  });
  it('formats back', () => {
    expect(formatImageReference(parseImageReference('r.example:1/a:b'))).toBe('r.example:1/a:b');
  });
});
