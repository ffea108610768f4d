import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { freePort, makeTempDir, type TempDir } from '@lading/testkit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emptyConfig, helloRootfs, lading, handWrittenLayout as layout } from './helpers.js';

// What a user can get wrong, or a registry can send, must never print a stack trace: one `lading:` line (and
// `caused by:` lines), an exit code by kind. A stack comes only with --debug or LADING_DEBUG=1.
const stackLine = /^ {4}at /m;

let dir: TempDir;
beforeEach(async () => {
  dir = await makeTempDir('lading-cli-errors-');
});
afterEach(async () => dir.cleanup());
const env = () => ({ LADING_STORE: join(dir.path, 'store'), LADING_DEBUG: '' });

/** A registry that answers every request with an error whose message tries to drive the terminal. */
let hostile: Server;
let hostileHost: string;
beforeAll(async () => {
  hostile = createServer((req, res) => {
    if (req.method === 'HEAD') {
      // A manifest that seems to be there, so the GET comes and reads the error body.
      res.writeHead(200, {
        'content-type': 'application/vnd.oci.image.manifest.v1+json',
        'docker-content-digest': `sha256:${'a'.repeat(64)}`,
        'content-length': '100',
      });
      res.end();
      return;
    }
    res.writeHead(403, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        errors: [
          { code: 'MANIFEST_UNKNOWN', message: 'gone\x1b]0;owned\x07\x1b[2K\rlading: copied ok\x1b[31m' },
        ],
      }),
    );
  });
  await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve));
  hostileHost = `127.0.0.1:${(hostile.address() as AddressInfo).port}`;
});
afterAll(async () => new Promise<void>((resolve) => hostile.close(() => resolve())));

describe('lading failures a user can cause', () => {
  it('a registry that refuses the connection: exit 5, one line, no stack', async () => {
    const port = await freePort();
    const r = await lading(['copy', `docker://127.0.0.1:${port}/x:y`, `oci:${dir.path}/o:t`], { env: env() });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^lading: cannot connect to 127\.0\.0\.1:\d+: connection refused/m);
    expect(r.stderr).toMatch(/^ {2}caused by: connect ECONNREFUSED /m);
    expect(r.stderr).not.toMatch(stackLine);
  });

  it('a malformed --config file: exit 3, no stack', async () => {
    await writeFile(join(dir.path, 'bad.json'), '{"architecture": ');
    const r = await lading(
      [
        'export',
        helloRootfs,
        '--config',
        join(dir.path, 'bad.json'),
        '-o',
        `type=oci,dest=${dir.path}/o.tar`,
      ],
      {
        env: env(),
      },
    );
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('lading: image config is not valid JSON');
    expect(r.stderr).not.toMatch(stackLine);
  });

  it('a config nested a million levels deep: exit 3, never a RangeError', async () => {
    await writeFile(
      join(dir.path, 'deep.json'),
      emptyConfig().replace(/}$/, `,"x":${'['.repeat(1e6)}${']'.repeat(1e6)}}`),
    );
    const r = await lading(
      [
        'export',
        helloRootfs,
        '--config',
        join(dir.path, 'deep.json'),
        '-o',
        `type=oci,dest=${dir.path}/o.tar`,
      ],
      {
        env: env(),
      },
    );
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('more than 1000 levels deep');
    expect(r.stderr).not.toMatch(/RangeError|stack size/);
  });

  it('a reference with a port above 65535: exit 3', async () => {
    const r = await lading(['copy', 'docker://localhost:99999/x:y', `oci:${dir.path}/o:t`], { env: env() });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('port 99999 is above 65535');
    expect(r.stderr).not.toMatch(stackLine);
  });

  it('a base layout whose index.json is not JSON: a typed error, no stack', async () => {
    const base = await layout(join(dir.path, 'base'), emptyConfig());
    await writeFile(join(base, 'index.json'), '{"manifests": [');
    const r = await lading(
      ['export', helloRootfs, '--base', `oci:${base}:base`, '-o', `type=oci,dest=${dir.path}/o.tar`],
      {
        env: env(),
      },
    );
    expect(r.code).toBe(3);
    expect(r.stderr).not.toMatch(stackLine);
  });

  it("a registry's error text reaches the terminal without its control characters", async () => {
    const r = await lading(['copy', `docker://${hostileHost}/x:y`, `oci:${dir.path}/o:t`], { env: env() });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('gone');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: what must not come through
    expect(r.stderr).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    // The forged line is part of the error's line, not a line of its own.
    expect(r.stderr).not.toMatch(/^lading: copied ok/m);
  });

  it('an error that is not a lading error: one line, exit 1, and how to see more', async () => {
    const plugin = join(dir.path, 'boom.mjs');
    await writeFile(
      plugin,
      `export function createExporters(api) {
  return [{ name: 'boom', specificationVersion: api.specificationVersion, resolve() {
    return { name: 'boom', async export() { null.field; } };
  } }];
}
`,
    );
    const r = await lading(['export', helloRootfs, '--exporter-plugin', plugin, '-o', 'type=boom'], {
      env: env(),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^lading: unexpected error: Cannot read properties of null .*rerun with --debug/m,
    );
    expect(r.stderr).not.toMatch(stackLine);
    // With --debug (anywhere before --) or LADING_DEBUG=1, the stack comes too.
    const debug = await lading(
      ['export', '--debug', helloRootfs, '--exporter-plugin', plugin, '-o', 'type=boom'],
      {
        env: env(),
      },
    );
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(stackLine);
    expect(debug.stderr).toContain('boom.mjs');
    const fromEnv = await lading(['export', helloRootfs, '--exporter-plugin', plugin, '-o', 'type=boom'], {
      env: { ...env(), LADING_DEBUG: '1' },
    });
    expect(fromEnv.stderr).toMatch(stackLine);
  });
});

describe('the 8 MiB cap on a base image config', () => {
  const pad = (size: number) => {
    const head = emptyConfig({ pad: '' });
    return head.replace('"pad":""', `"pad":"${'x'.repeat(size - head.length)}"`);
  };

  it('takes a 5 MiB config (above the 4 MiB default of a blob read) and refuses 8 MiB + 1', async () => {
    const five = pad(5 * 1024 * 1024);
    expect(five.length).toBe(5 * 1024 * 1024);
    const ok = await layout(join(dir.path, 'five'), five);
    const r = await lading(
      ['export', helloRootfs, '--base', `oci:${ok}:base`, '-o', `type=oci,dest=${dir.path}/five.tar`],
      {
        env: env(),
      },
    );
    expect(r.stderr).not.toMatch(stackLine);
    expect(r.code).toBe(0);
    const over = await layout(join(dir.path, 'over'), pad(8 * 1024 * 1024 + 1));
    const refused = await lading(
      ['export', helloRootfs, '--base', `oci:${over}:base`, '-o', `type=oci,dest=${dir.path}/over.tar`],
      {
        env: env(),
      },
    );
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('over the 8388608-byte limit');
  });
});
