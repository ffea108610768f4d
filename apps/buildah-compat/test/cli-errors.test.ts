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
    expect(r.stderr.trim()).toBe("Error: Unknown option '--frob'");
  });
});
