// issue 19 bug 1: `lading inspect docker://REF` reads the image from the registry (as skopeo inspect docker:// and
// crane manifest do) instead of looking the string up in the store. Expectations come from skopeo's view of the
// registry and from sha256 over the bytes it serves.
import { join } from 'node:path';
import { havePeers, makeTempDir, run, startRegistry, type TempDir } from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyConfig, handWrittenLayout, lading, sha256 } from './helpers.js';

describe.runIf(havePeers('skopeo', 'docker-registry'))('lading inspect docker://', () => {
  let dir: TempDir;
  let registry: Awaited<ReturnType<typeof startRegistry>>;
  let ref: string;
  let rawManifest: string;
  let rawConfig: string;

  beforeAll(async () => {
    dir = await makeTempDir('lading-inspect-remote-');
    registry = await startRegistry();
    const layout = await handWrittenLayout(
      join(dir.path, 'layout'),
      emptyConfig({ config: { Env: ['FROM_REGISTRY=1'] } }),
    );
    ref = `${registry.host}/lading/inspected:1`;
    await run('skopeo', [
      'copy',
      '--quiet',
      '--dest-tls-verify=false',
      `oci:${layout}:base`,
      `docker://${ref}`,
    ]);
    rawManifest = (await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`])).stdout;
    rawConfig = (
      await run('skopeo', ['inspect', '--config', '--raw', '--tls-verify=false', `docker://${ref}`])
    ).stdout;
  }, 60_000);
  afterAll(async () => {
    await registry?.stop();
    await dir?.cleanup();
  });

  const env = () => ({ LADING_STORE: join(dir.path, 'empty-store') });

  it('--raw prints the manifest bytes the registry serves', async () => {
    const r = await lading(['inspect', `docker://${ref}`, '--insecure', '--raw'], { env: env() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(rawManifest);
  });

  it('prints manifest, descriptor and config as JSON, and --format reads the same fields as for local images', async () => {
    const r = await lading(['inspect', `docker://${ref}`, '--insecure'], { env: env() });
    expect(r.code).toBe(0);
    const shown = JSON.parse(r.stdout);
    expect(shown.descriptor.digest).toBe(sha256(rawManifest));
    expect(shown.manifest).toEqual(JSON.parse(rawManifest));
    expect(shown.config).toEqual(JSON.parse(rawConfig));
    const f = await lading(
      [
        'inspect',
        `docker://${ref}`,
        '--insecure',
        '--format',
        '{{.FromImageDigest}} {{json .OCIv1.config.Env}}',
      ],
      { env: env() },
    );
    expect(f.code).toBe(0);
    expect(f.stdout).toBe(`${sha256(rawManifest)} ["FROM_REGISTRY=1"]\n`);
  });

  it('a tag the registry lacks is not found (exit 4), named as the registry names it', async () => {
    const r = await lading(['inspect', `docker://${registry.host}/lading/inspected:absent`, '--insecure'], {
      env: env(),
    });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('lading/inspected:absent');
    expect(r.stderr).not.toContain('in the store');
  });
});
