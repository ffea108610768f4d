import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, makeTempDir, type TempDir } from '@lading/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ladingBuildah } from './helpers.js';

// Failures a user can cause print one `Error:` line (as buildah does) and `caused by:` lines, never a stack trace
// unless --debug or LADING_DEBUG=1 asks for one.
const stackLine = /^ {4}at /m;
let tmp: TempDir;
let root: string;
beforeEach(async () => {
  tmp = await makeTempDir('lading-buildah-errors-');
  root = join(tmp.path, 'root');
});
afterEach(async () => tmp.cleanup());
const env = { LADING_DEBUG: '' };

describe('lading-buildah failures', () => {
  it('a registry that refuses the connection: exit 5', async () => {
    const port = await freePort();
    const r = await ladingBuildah(root, ['from', '-q', `docker://127.0.0.1:${port}/x:y`], { env });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^Error: cannot connect to 127\.0\.0\.1:\d+: connection refused/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(stackLine);
  });

  it('a corrupt images.json: exit 3 naming the file; with --debug or LADING_DEBUG=1 the stack too', async () => {
    await mkdir(root, { recursive: true });
    await writeFile(join(root, 'images.json'), '[{"id": ');
    const r = await ladingBuildah(root, ['images'], { env });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^Error: .*images\.json is not valid JSON/m);
    expect(r.stderr).not.toMatch(stackLine);
    const debug = await ladingBuildah(root, ['images', '--debug'], { env });
    expect(debug.code).toBe(3);
    expect(debug.stderr).toMatch(stackLine);
    const global = await ladingBuildah(root, ['--debug', 'images'], { env });
    expect(global.stderr).toMatch(stackLine);
    const fromEnv = await ladingBuildah(root, ['images'], { env: { LADING_DEBUG: '1' } });
    expect(fromEnv.stderr).toMatch(stackLine);
    await writeFile(join(root, 'images.json'), 'null');
    expect((await ladingBuildah(root, ['images'], { env })).code).toBe(3);
  });

  it('a malformed signature policy: exit 3', async () => {
    const policy = join(tmp.path, 'policy.json');
    await writeFile(policy, '{"default": [');
    const r = await ladingBuildah(
      root,
      ['from', '-q', '--signature-policy', policy, 'docker://localhost/x'],
      { env },
    );
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^Error: invalid policy in .*policy.json": the policy is not valid JSON/m);
    expect(r.stderr).not.toMatch(stackLine);
  });

  it.each(['constructor', 'toString', '__proto__'])('%s is an unknown command, not a crash', async (name) => {
    const r = await ladingBuildah(root, [name], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`unknown command "${name}"`);
    expect(r.stderr).not.toMatch(stackLine);
  });

  it('a bad flag: exit 2, one line', async () => {
    const r = await ladingBuildah(root, ['images', '--frob'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('Error: unknown flag: --frob');
  });

  it('an unknown flag close to a known one is answered with it (issue 19 item 11)', async () => {
    const r = await ladingBuildah(root, ['commit', '--sqash', 'ctr'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('Error: unknown flag: --sqash (did you mean --squash?)');
  });

  // issue 19 item 9: buildah exits 125 for its own errors (cmd/buildah/main.go); lading-buildah does the same by
  // default, and the typed detail stays in the message and, at --log-level=debug, in one more line.
  it.each([
    [['inspect', 'no-such-image'], 'not-found', 4],
    [['from', 'Upper/Case'], 'option', 2],
    [['images', '--frob'], 'option', 2],
    [['frobnicate'], undefined, 2],
  ] as const)(
    '%j exits 125 by default, its class at --log-level=debug, %s with detailed codes',
    async (args, kind, code) => {
      const buildahLike = await ladingBuildah(root, args, { env: { ...env, LADING_BUILDAH_EXIT_CODES: '' } });
      expect(buildahLike.code).toBe(125);
      expect(buildahLike.stderr).toMatch(/^Error: /);
      expect(buildahLike.stderr).not.toContain('level=debug');
      expect((await ladingBuildah(root, args, { env })).code).toBe(code);
      if (kind !== undefined) {
        const debug = await ladingBuildah(root, ['--log-level=debug', ...args], {
          env: { ...env, LADING_BUILDAH_EXIT_CODES: '' },
        });
        expect(debug.code).toBe(125);
        expect(debug.stderr).toContain(`error class: ${kind} `);
        expect(debug.stderr).toContain(`lading exit code ${code}`);
      }
    },
  );
});
