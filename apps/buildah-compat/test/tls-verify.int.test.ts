// issue 19 item 9: as buildah, plain HTTP to a registry needs --tls-verify=false, unless registries.conf marks the
// registry insecure (also for 127.0.0.1, which lading's own CLI, as Docker, lets speak HTTP). skopeo reads back.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { havePeers, makeTempDir, run, startRegistry, type TempDir } from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ladingBuildah, lb } from './helpers.js';

describe.runIf(havePeers('docker-registry', 'skopeo'))('lading-buildah and plain-HTTP registries', () => {
  let tmp: TempDir;
  let registry: Awaited<ReturnType<typeof startRegistry>>;
  let root: string;
  let policy: string;
  const emptyConf = () => join(tmp.path, 'empty.conf');

  beforeAll(async () => {
    tmp = await makeTempDir('lading-buildah-tls-verify-');
    registry = await startRegistry();
    root = join(tmp.path, 'root');
    policy = join(tmp.path, 'policy.json');
    await writeFile(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
    await writeFile(emptyConf(), '');
    const ctr = await lb(root, ['from', 'scratch']);
    await writeFile(join(tmp.path, 'f.txt'), 'over http\n');
    await lb(root, ['copy', ctr, join(tmp.path, 'f.txt'), '/f.txt']);
    await lb(root, ['commit', '-q', ctr, 'img']);
  }, 60_000);
  afterAll(async () => {
    await registry?.stop();
    await tmp?.cleanup();
  });

  const push = (conf: string, extra: string[], dest: string) =>
    ladingBuildah(root, [
      '--registries-conf',
      conf,
      'push',
      '-q',
      '--signature-policy',
      policy,
      ...extra,
      'img',
      dest,
    ]);
  const exists = async (ref: string) =>
    (
      await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`], {
        allowFailure: true,
      })
    ).code === 0;

  it('refuses plain HTTP without --tls-verify=false, and nothing is pushed', async () => {
    const ref = `${registry.host}/lading/refused:1`;
    const r = await push(emptyConf(), [], `docker://${ref}`);
    // a registry failure: lading's detailed exit code 5 (the helper asks for detailed codes)
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^Error: /);
    expect(await exists(ref)).toBe(false);
  });

  it('pushes with --tls-verify=false, or when registries.conf lists the registry as insecure (v2 and v1 forms)', async () => {
    const a = `${registry.host}/lading/flag:1`;
    expect((await push(emptyConf(), ['--tls-verify=false'], `docker://${a}`)).code).toBe(0);
    expect(await exists(a)).toBe(true);
    const v2 = join(tmp.path, 'v2', 'registries.conf');
    await run('mkdir', ['-p', join(tmp.path, 'v2')]);
    await writeFile(v2, `[[registry]]\nlocation = "${registry.host}"\ninsecure = true\n`);
    const b = `${registry.host}/lading/conf-v2:1`;
    const rb = await push(v2, [], `docker://${b}`);
    expect(rb.stderr).toBe('');
    expect(rb.code).toBe(0);
    expect(await exists(b)).toBe(true);
    const v1 = join(tmp.path, 'v1.conf');
    await writeFile(v1, `[registries.insecure]\nregistries = ["${registry.host}"]\n`);
    const c = `${registry.host}/lading/conf-v1:1`;
    expect((await push(v1, [], `docker://${c}`)).code).toBe(0);
    expect(await exists(c)).toBe(true);
  });
});
