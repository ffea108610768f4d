// The built CLI against a hostile registry: credentials never reach an upload Location on another origin, a lying
// manifest size is refused with flat memory, and an unreachable registry fails fast with one line. The real
// Distribution registry holds everything that is not hostile; peak RSS is the child's own process.resourceUsage().
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  freePort,
  type HostileRegistry,
  havePeers,
  htpasswdAuthConfig,
  makeTempDir,
  type RunningRegistry,
  run,
  startHostileRegistry,
  startRegistry,
  type TempDir,
} from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helloRootfs, lading, mainJs } from './helpers.js';

const user = { username: 'pusher', password: 'pw-For-Tests-9' };
const basic = `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`;
const manifestType = 'application/vnd.oci.image.manifest.v1+json';
/** The bound a refused pull must stay under while the registry offers 1 GiB (a Node CLI idles near 60-90 MiB). */
const rssBoundKiB = 200 * 1024;

let dir: TempDir;
beforeAll(async () => {
  dir = await makeTempDir('lading-exporter-hostile-');
});
afterAll(async () => dir?.cleanup());
const env = () => ({ LADING_STORE: join(dir.path, 'store') });

/** Runs the CLI with a preload that prints its peak RSS (KiB) as the last stderr line when it exits. */
async function ladingMeasured(
  args: readonly string[],
): Promise<{ code: number; stderr: string; rssKiB: number }> {
  const preload = join(dir.path, 'peak-rss.cjs');
  await writeFile(
    preload,
    "process.on('exit', () => process.stderr.write('\\npeak-rss-kib=' + process.resourceUsage().maxRSS + '\\n'));\n",
  );
  const r = await run(process.execPath, ['--require', preload, mainJs, ...args], {
    cwd: dir.path,
    env: { ...process.env, ...env() },
    allowFailure: true,
  });
  const match = /\npeak-rss-kib=(\d+)\n$/.exec(r.stderr);
  return { code: r.code, stderr: r.stderr.slice(0, match?.index), rssKiB: Number(match?.[1] ?? Number.NaN) };
}

describe.runIf(havePeers('docker-registry', 'skopeo'))(
  'lading export to a registry whose upload Location is elsewhere',
  () => {
    let registry: RunningRegistry;
    let front: HostileRegistry;
    let storage: HostileRegistry;
    let authDir: TempDir;
    beforeAll(async () => {
      authDir = await makeTempDir('lading-exporter-hostile-auth-');
      registry = await startRegistry({ config: await htpasswdAuthConfig(authDir.path, [user]) });
      const upstream = { host: '127.0.0.1', port: registry.port };
      // another origin that takes the uploads: it authenticates to the registry itself, as a storage backend would
      storage = await startHostileRegistry({ upstream, upstreamAuthorization: basic });
      front = await startHostileRegistry({ upstream });
      front.on('POST', /\/blobs\/uploads\/$/, (x) =>
        x.forward({
          rewrite: (headers) => {
            if (typeof headers.location !== 'string') return;
            const loc = new URL(headers.location, front.origin);
            headers.location = `${storage.origin}${loc.pathname}${loc.search}`;
          },
        }),
      );
    });
    afterAll(async () => {
      await front?.stop();
      await storage?.stop();
      await registry?.stop();
      await authDir?.cleanup();
    });

    it('pushes, and the other origin sees no credentials', async () => {
      const authFile = join(authDir.path, 'auth.json');
      await writeFile(authFile, JSON.stringify({ auths: { [front.host]: { auth: basic.slice(6) } } }));
      const name = `${front.host}/hostile/app:1`;
      const r = await lading(['export', helloRootfs, '-o', `type=registry,name=${name}`, '--json'], {
        cwd: dir.path,
        env: { ...env(), REGISTRY_AUTH_FILE: authFile },
      });
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.code).toBe(0);
      const uploads = storage.requests.filter((q) => q.method === 'PUT' || q.method === 'PATCH');
      expect(uploads.length).toBeGreaterThanOrEqual(2);
      expect(storage.requests.filter((q) => q.headers.authorization !== undefined)).toEqual([]);
      // the registry's own origin was sent the credentials it asked for
      expect(front.requests.some((q) => q.headers.authorization === basic)).toBe(true);
      // and the image landed: the registry itself serves it, by the digest lading printed
      const digest = JSON.parse(r.stdout).outputs[0].response['containerimage.digest'];
      const inspect = await run('skopeo', [
        'inspect',
        '--tls-verify=false',
        '--creds',
        `${user.username}:${user.password}`,
        `docker://${registry.host}/hostile/app:1`,
      ]);
      expect(JSON.parse(inspect.stdout).Digest).toBe(digest);
    }, 60_000);
  },
);

describe('lading copy from a registry that lies about sizes', () => {
  let registry: HostileRegistry;
  beforeAll(async () => {
    registry = await startHostileRegistry();
    const digest = `sha256:${'ab'.repeat(32)}`;
    // HEAD claims a terabyte; a GET would stream a gibibyte
    registry.on('HEAD', '/v2/lie/manifests/1', (x) =>
      x.send(200, {
        'content-length': String(10 ** 12),
        'content-type': manifestType,
        'docker-content-digest': digest,
      }),
    );
    // HEAD says nothing useful, the GET declares nothing and never ends
    registry.on('HEAD', '/v2/lie/manifests/2', (x) => x.send(200, { 'content-type': manifestType }));
    registry.on('GET', /^\/v2\/lie\/manifests\//, (x) =>
      x.endless(200, { 'content-type': manifestType }, { limitBytes: 1 << 30 }),
    );
  });
  afterAll(async () => registry?.stop());

  for (const [tag, what] of [
    ['1', 'a HEAD that declares 10^12 bytes'],
    ['2', 'an endless GET'],
  ] as const) {
    it(`refuses ${what} with exit 3, one line and flat memory`, async () => {
      registry.requests.length = 0;
      const r = await ladingMeasured([
        'copy',
        `docker://${registry.host}/lie:${tag}`,
        `oci:${join(dir.path, `lie-${tag}`)}:1`,
      ]);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/over the 4194304-byte cap|more than the 4194304-byte cap/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.rssKiB).toBeGreaterThan(0);
      expect(r.rssKiB).toBeLessThan(rssBoundKiB);
      const sent = registry.requests.filter((q) => q.method === 'GET').reduce((n, q) => n + q.bytesSent, 0);
      expect(sent).toBeLessThan(64 << 20);
      console.log(
        `lading copy (${what}): exit ${r.code}, peak RSS ${Math.round(r.rssKiB / 1024)} MiB, ${sent} bytes sent`,
      );
    }, 60_000);
  }
});

/** The error lines of a run (its progress lines, `pulling ...`, aside). */
const errorLines = (stderr: string) =>
  stderr.split('\n').filter((l) => l.startsWith('lading:') || l.startsWith('  caused by:'));

describe('lading copy from a registry that cannot be reached', () => {
  it('fails at once with exit 5 and one line that names the host', async () => {
    const port = await freePort();
    const started = Date.now();
    const r = await lading(
      ['copy', `docker://127.0.0.1:${port}/nobody/home:1`, `oci:${join(dir.path, 'none')}:1`],
      {
        cwd: dir.path,
        env: env(),
      },
    );
    const elapsed = Date.now() - started;
    expect(r.code).toBe(5);
    expect(errorLines(r.stderr)).toEqual([expect.stringContaining(`127.0.0.1:${port}: connection refused`)]);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(elapsed).toBeLessThan(3_000);
  });

  it('fails at once with exit 5 when the host is unknown', async () => {
    const r = await lading(
      ['copy', 'docker://lading-unknown-host.invalid/nobody/home:1', `oci:${join(dir.path, 'none')}:1`],
      {
        cwd: dir.path,
        env: env(),
      },
    );
    expect(r.code).toBe(5);
    expect(errorLines(r.stderr)).toEqual([
      expect.stringContaining('lading-unknown-host.invalid: unknown host'),
    ]);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
