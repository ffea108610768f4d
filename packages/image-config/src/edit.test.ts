import { isInvalidInputError } from '@lading/digest';
import { describe, expect, it } from 'vitest';
import {
  withAuthor,
  withEnv,
  withExposedPorts,
  withLabels,
  withUser,
  withVolumes,
  withWorkingDir,
} from './edit.js';
import { emptyImageConfig } from './empty.js';
import type { ImageConfig } from './types.js';

// The removal forms as `buildah config` documents them (docs/buildah-config.1.md: "append a - to the end" of an
// env name, label key, port or volume) and as buildah 1.28 stores them: a port is kept as written.
const base: ImageConfig = { ...emptyImageConfig({ os: 'linux', architecture: 'amd64' }), config: {} };

describe('buildah removal forms', () => {
  it('--env NAME- removes NAME; a record value of undefined does too (commit --unsetenv)', () => {
    const c = withEnv(base, ['A=1', 'B=2', 'C=3']);
    expect(withEnv(c, ['B-']).config?.Env).toEqual(['A=1', 'C=3']);
    expect(withEnv(c, { A: undefined, C: undefined }).config?.Env).toEqual(['B=2']);
    // Every entry of the name goes, as buildah's UnsetEnv filters them all.
    expect(withEnv({ ...base, config: { Env: ['X=1', 'Y=0', 'X=2'] } }, ['X-']).config?.Env).toEqual(['Y=0']);
    // Removing a name that is not set changes nothing.
    expect(withEnv(c, ['NOPE-']).config?.Env).toEqual(['A=1', 'B=2', 'C=3']);
  });

  it('--label KEY- removes KEY; KEY=VALUE and KEY- apply in order', () => {
    const c = withLabels(base, ['x=1', 'y=2', 'url=a=b']);
    expect(c.config?.Labels).toEqual({ x: '1', y: '2', url: 'a=b' });
    expect(withLabels(c, ['x-']).config?.Labels).toEqual({ y: '2', url: 'a=b' });
    expect(withLabels(c, ['x-', 'x=3']).config?.Labels).toEqual({ x: '3', y: '2', url: 'a=b' });
    expect(withLabels(c, ['y=4', 'y-']).config?.Labels).toEqual({ x: '1', url: 'a=b' });
    // A key from outside stays a key, not the object's prototype.
    expect(Object.keys(withLabels(base, ['__proto__=p']).config?.Labels ?? {})).toEqual(['__proto__']);
  });

  it('a label that is neither KEY=VALUE nor KEY-: InvalidInputError LABEL_INVALID', () => {
    for (const bad of ['novalue', '=v', '=v-']) {
      let err: unknown;
      try {
        withLabels(base, [bad]);
      } catch (e) {
        err = e;
      }
      expect(isInvalidInputError(err), bad).toBe(true);
      expect(err, bad).toMatchObject({ code: 'LABEL_INVALID' });
    }
  });

  it('--port P- removes P; a range is a port, and RANGE- removes it', () => {
    const c = withExposedPorts(base, ['80', '8080/udp', '9000-9001']);
    expect(c.config?.ExposedPorts).toEqual({ '80/tcp': {}, '8080/udp': {}, '9000-9001/tcp': {} });
    expect(withExposedPorts(c, ['80-', '8080/udp-']).config?.ExposedPorts).toEqual({ '9000-9001/tcp': {} });
    expect(withExposedPorts(c, ['9000-9001-']).config?.ExposedPorts).toEqual({
      '80/tcp': {},
      '8080/udp': {},
    });
  });

  it('asWritten: ports kept and removed as written, as buildah stores them', () => {
    const c = withExposedPorts(base, ['80', '80/TCP', '99999'], { asWritten: true });
    expect(c.config?.ExposedPorts).toEqual({ '80': {}, '80/TCP': {}, '99999': {} });
    // buildah deletes the exact key: 80/tcp- leaves 80/TCP, 80- removes 80.
    expect(withExposedPorts(c, ['80/tcp-', '80-'], { asWritten: true }).config?.ExposedPorts).toEqual({
      '80/TCP': {},
      '99999': {},
    });
  });

  it('--volume V- removes V', () => {
    const c = withVolumes(base, ['/v1', '/v2']);
    expect(c.config?.Volumes).toEqual({ '/v1': {}, '/v2': {} });
    expect(withVolumes(c, ['/v1-']).config?.Volumes).toEqual({ '/v2': {} });
    expect(withVolumes(c, ['/v1-', '/v1']).config?.Volumes).toEqual({ '/v1': {}, '/v2': {} });
  });

  it("--user '', --workingdir '' and --author '' clear the field (undefined here)", () => {
    const c = withAuthor(withWorkingDir(withUser(base, 'u'), '/w'), 'me');
    expect([c.config?.User, c.config?.WorkingDir, c.author]).toEqual(['u', '/w', 'me']);
    const cleared = withAuthor(withWorkingDir(withUser(c, undefined), undefined), undefined);
    expect('User' in (cleared.config ?? {})).toBe(false);
    expect('WorkingDir' in (cleared.config ?? {})).toBe(false);
    expect('author' in cleared).toBe(false);
  });
});
