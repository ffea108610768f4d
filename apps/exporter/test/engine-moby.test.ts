// type=moby and type=docker without a running Engine: no daemon is one line and exit 5 before any layer is built;
// names moby refuses are exit 3 before anything is written; under --moby-root, re-exporting a name moves its tag.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, type TempDir } from '@lading/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { helloRootfs, lading } from './helpers.js';

let dir: TempDir;
beforeEach(async () => {
  dir = await makeTempDir('lading-engine-cli-');
});
afterEach(async () => dir.cleanup());

const noDaemon = () => ({
  LADING_STORE: join(dir.path, 'store'),
  LADING_MOBY_ROOT: '',
  DOCKER_HOST: `unix://${join(dir.path, 'no-docker.sock')}`,
});

describe('no Engine answering', () => {
  it.each([
    ['type=moby,name=app:1', 'pass --moby-root DIR (or LADING_MOBY_ROOT)'],
    ['type=docker,name=app:1', 'give dest=FILE to write the archive instead'],
  ])(
    '%s: exit 5, one line naming the socket, what to check and what else to do; nothing built',
    async (spec, instead) => {
      const r = await lading(['export', helloRootfs, '-o', spec, '--progress', 'plain'], {
        cwd: dir.path,
        env: noDaemon(),
      });
      expect(r.code).toBe(5);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(
        `cannot reach the Docker Engine at unix://${join(dir.path, 'no-docker.sock')} (DOCKER_HOST)`,
      );
      expect(lines[0]).toContain('is the Docker daemon running?');
      expect(lines[0]).toContain(`; start Docker, or ${instead}`);
      // resolved before the build: the store was never opened
      expect(existsSync(join(dir.path, 'store'))).toBe(false);
    },
  );

  it('a DOCKER_HOST lading cannot speak is a usage error (exit 2)', async () => {
    const r = await lading(['export', helloRootfs, '-o', 'type=moby,name=a'], {
      cwd: dir.path,
      env: { ...noDaemon(), DOCKER_HOST: 'ssh://me@build-host' },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ssh:// is not supported by lading');
  });
});

describe('names moby refuses (reference/store.go), exit 3 before anything is written', () => {
  const digest = `sha256:${'a'.repeat(64)}`;
  it.each([
    [`app@${digest}`, 'refusing to create a tag with a digest reference'],
    ['sha256:abc', 'refusing to create an ambiguous tag using digest algorithm as name'],
    ['docker.io/library/sha256:1', 'refusing to create an ambiguous tag using digest algorithm as name'],
  ])('%s', async (name, message) => {
    for (const env of [noDaemon(), { ...noDaemon(), LADING_MOBY_ROOT: join(dir.path, 'moby') }]) {
      const r = await lading(['export', helloRootfs, '-o', `type=moby,"name=ok:1,${name}"`], {
        cwd: dir.path,
        env,
      });
      expect(r.stderr).toContain(message);
      expect(r.code).toBe(3);
      expect(existsSync(join(dir.path, 'store'))).toBe(false);
      expect(existsSync(join(dir.path, 'moby'))).toBe(false);
    }
  });
});

describe('--moby-root: re-exporting under an existing name moves the tag', () => {
  it('the second image takes the name; the first stays under its ID', async () => {
    const env = { LADING_STORE: join(dir.path, 'store'), LADING_MOBY_ROOT: join(dir.path, 'moby') };
    const exportWith = async (cmd: string) => {
      const r = await lading(
        [
          'export',
          helloRootfs,
          '--cmd',
          cmd,
          '-o',
          'type=moby,name=hello:1',
          '--json',
          '--progress',
          'quiet',
        ],
        {
          cwd: dir.path,
          env,
        },
      );
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      return JSON.parse(r.stdout).outputs[0].response['containerimage.digest'] as string;
    };
    const first = await exportWith('["/first"]');
    const second = await exportWith('["/second"]');
    expect(second).not.toBe(first);
    // a data-root as dockerd keeps it (vfs, the default driver for an empty root)
    const root = join(dir.path, 'moby', 'image', 'vfs');
    const repos = JSON.parse(await readFile(join(root, 'repositories.json'), 'utf8'));
    expect(repos.Repositories.hello['hello:1']).toBe(second);
    expect(existsSync(join(root, 'imagedb', 'content', 'sha256', first.slice(7)))).toBe(true);
  });
});
