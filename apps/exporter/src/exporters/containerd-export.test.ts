import { InvalidInputError } from '@lading/digest';
import { describe, expect, it } from 'vitest';
import { chooseContainerd } from './containerd-export.js';

const env = (vars: Record<string, string> = {}) => ({ cwd: '/', env: vars });

describe('chooseContainerd', () => {
  it('an address given, by flag or CONTAINERD_ADDRESS, means containerd (the flag wins)', async () => {
    expect(
      await chooseContainerd({ address: '/flag.sock' }, env({ CONTAINERD_ADDRESS: '/env.sock' })),
    ).toEqual({
      address: '/flag.sock',
      namespace: 'default',
    });
    expect(
      await chooseContainerd(
        undefined,
        env({ CONTAINERD_ADDRESS: '/env.sock', CONTAINERD_NAMESPACE: 'k8s.io' }),
      ),
    ).toEqual({ address: '/env.sock', namespace: 'k8s.io' });
    expect(await chooseContainerd({ address: '/a.sock', namespace: 'moby' }, env())).toEqual({
      address: '/a.sock',
      namespace: 'moby',
    });
  });

  it('no address and no probe: the lading store', async () => {
    expect(await chooseContainerd(undefined, env())).toBeUndefined();
    expect(await chooseContainerd({ namespace: 'x', probeDefault: false }, env())).toBeUndefined();
  });

  it('a namespace containerd would refuse is InvalidInputError before anything connects', async () => {
    await expect(chooseContainerd({ address: '/a.sock', namespace: 'a/b' }, env())).rejects.toBeInstanceOf(
      InvalidInputError,
    );
  });
});
