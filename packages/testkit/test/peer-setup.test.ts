import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { setUpPeer } from '../src/index.js';

const prefix = `lading-peer-setup-${process.pid}-`;
const leftovers = () => readdirSync(tmpdir()).filter((n) => n.startsWith(prefix));

describe('setUpPeer', () => {
  it('a daemon that fails to start leaves no temp dir behind', async () => {
    await expect(setUpPeer(Promise.reject(new Error('no daemon')), prefix)).rejects.toThrow('no daemon');
    expect(leftovers()).toEqual([]);
  });

  it('stop() stops the daemon and removes the dir; a busybox tree when asked', async () => {
    let stopped = 0;
    const setup = await setUpPeer(Promise.resolve({ stop: async () => void stopped++ }), prefix, {
      busybox: true,
    });
    expect(existsSync(`${setup.rootfs}/bin/busybox`)).toBe(true);
    expect(setup.rootfs.startsWith(setup.dir.path)).toBe(true);
    await setup.stop();
    expect(stopped).toBe(1);
    expect(existsSync(setup.dir.path)).toBe(false);
    expect(leftovers()).toEqual([]);
  });
});
