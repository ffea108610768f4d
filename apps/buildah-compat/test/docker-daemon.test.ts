// docker-daemon: references parsed with containers/image's rules (docker/daemon/daemon_transport.go), its policy
// scope (only ""), and the errors a user meets before any daemon is asked.
import { join } from 'node:path';
import { makeTempDir, type TempDir } from '@lading/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePolicy } from '../src/policy/policy.js';
import { formatImageReference, parseImageReference } from '../src/transports/index.js';
import { ladingBuildah } from './helpers.js';

const id = `sha256:${'c'.repeat(64)}`;

describe('docker-daemon: references', () => {
  it.each([
    [
      'docker-daemon:app:2',
      { transport: 'docker-daemon', ref: 'docker.io/library/app:2' },
      'docker-daemon:app:2',
    ],
    [
      'docker-daemon:localhost:5000/team/app:1',
      { transport: 'docker-daemon', ref: 'localhost:5000/team/app:1' },
      'docker-daemon:localhost:5000/team/app:1',
    ],
    [
      `docker-daemon:app@${id}`,
      { transport: 'docker-daemon', ref: `docker.io/library/app@${id}` },
      `docker-daemon:app@${id}`,
    ],
    [`docker-daemon:${id}`, { transport: 'docker-daemon', id }, `docker-daemon:${id}`],
  ])('%s', (input, parsed, shown) => {
    const ref = parseImageReference(input);
    expect(ref).toEqual(parsed);
    expect(formatImageReference(ref)).toBe(shown);
  });

  it.each([
    ['docker-daemon:app', 'docker-daemon: reference app has neither a tag nor a digest'],
    [`docker-daemon:app:1@${id}`, 'references with both a tag and digest are currently not supported'],
    [
      'docker-daemon:sha256:abc',
      'The sha256 repository name is reserved for (non-shortened) digest references',
    ],
    [`docker-daemon:sha512:${'d'.repeat(128)}`, 'only digest algorithm sha256 accepted'],
    ['docker-daemon:UPPER:1', 'docker-daemon: invalid reference'],
  ])('%s is refused: %s', (input, message) => {
    expect(() => parseImageReference(input)).toThrow(message);
  });

  it('a policy may give docker-daemon only the "" scope', () => {
    const accept = [{ type: 'insecureAcceptAnything' }];
    expect(() =>
      parsePolicy(JSON.stringify({ default: accept, transports: { 'docker-daemon': { '': accept } } })),
    ).not.toThrow();
    expect(() =>
      parsePolicy(
        JSON.stringify({ default: accept, transports: { 'docker-daemon': { 'docker.io/app': accept } } }),
      ),
    ).toThrow('docker-daemon: does not support any scopes except the default "" one');
  });
});

describe('lading-buildah with docker-daemon: and no daemon', () => {
  let dir: TempDir;
  beforeEach(async () => {
    dir = await makeTempDir('lading-buildah-daemon-');
  });
  afterEach(async () => dir.cleanup());

  const env = () => ({ DOCKER_HOST: `unix://${join(dir.path, 'none.sock')}` });
  const lbr = (args: string[]) => ladingBuildah(join(dir.path, 'root'), args, { env: env() });

  it('push to a name without a tag, or to an image ID, is refused (exit 3) before the daemon is asked', async () => {
    const c = (await lbr(['from', 'scratch'])).stdout.trim();
    expect((await lbr(['commit', '-q', c, 'img:1'])).code).toBe(0);
    const noTag = await lbr(['push', 'img:1', 'docker-daemon:app']);
    expect(noTag.code).toBe(3);
    expect(noTag.stderr).toContain('has neither a tag nor a digest');
    const byId = await lbr(['push', 'img:1', `docker-daemon:${id}`]);
    expect(byId.code).toBe(3);
    expect(byId.stderr).toContain(
      `Invalid destination docker-daemon:${id}: a destination must be a name:tag`,
    );
    const none = await lbr(['push', 'img:1', 'docker-daemon:app:1']);
    expect(none.code).toBe(5);
    expect(none.stderr).toContain(
      `cannot reach the Docker Engine at unix://${join(dir.path, 'none.sock')} (DOCKER_HOST)`,
    );
    expect(none.stderr).toContain('start Docker or set DOCKER_HOST');
    const from = await lbr(['from', 'docker-daemon:app:1']);
    expect(from.code).toBe(5);
    expect(from.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^Error: docker-daemon: cannot reach the Docker Engine/),
    ]);
  });
});
