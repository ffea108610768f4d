import { InvalidInputError } from '@lading/digest';
import { describe, expect, it } from 'vitest';
import { resolveContainerdLocation } from './address.js';

describe('resolveContainerdLocation', () => {
  it('flags, then CONTAINERD_ADDRESS / CONTAINERD_NAMESPACE, then the defaults (as ctr)', () => {
    expect(resolveContainerdLocation({}, {})).toEqual({
      address: '/run/containerd/containerd.sock',
      namespace: 'default',
    });
    const env = { CONTAINERD_ADDRESS: '/env.sock', CONTAINERD_NAMESPACE: 'k8s.io' };
    expect(resolveContainerdLocation({}, env)).toEqual({ address: '/env.sock', namespace: 'k8s.io' });
    expect(resolveContainerdLocation({ address: '/flag.sock', namespace: 'moby' }, env)).toEqual({
      address: '/flag.sock',
      namespace: 'moby',
    });
  });

  it('refuses what containerd refuses as a namespace (identifiers.Validate)', () => {
    for (const bad of ['a/b', 'a..b', '-a', 'a-', 'with space', 'x'.repeat(77), 'ümlaut']) {
      expect(() => resolveContainerdLocation({ namespace: bad }, {})).toThrow(InvalidInputError);
    }
    for (const good of ['default', 'k8s.io', 'buildkit', 'a-b_c.d', 'x'.repeat(76)]) {
      expect(resolveContainerdLocation({ namespace: good }, {}).namespace).toBe(good);
    }
  });
});
