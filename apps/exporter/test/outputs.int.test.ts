import { linkSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  havePeers,
  makeTempDir,
  type RunningContainerd,
  type RunningRegistry,
  run,
  startContainerd,
  startRegistry,
  type TempDir,
} from '@lading/testkit';
import { treeContents } from '@lading/testkit/layer-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helloRootfs, lading } from './helpers.js';

let dir: TempDir;
beforeAll(async () => {
  dir = await makeTempDir('lading-outputs-peers-');
});
afterAll(async () => dir?.cleanup());
const env = () => ({ LADING_STORE: join(dir.path, 'store'), SOURCE_DATE_EPOCH: '1700000000' });
const at = (p: string) => join(dir.path, p);

/** A base layer and a diff over it: a file changed, files and a directory removed (whiteouts), links. */
function twoLayers(name: string): string[] {
  const lower = at(`${name}-lower`);
  const upper = at(`${name}-upper`);
  for (const root of [lower, upper]) {
    mkdirSync(join(root, 'etc', 'app'), { recursive: true });
    writeFileSync(join(root, 'etc', 'shared'), 'shared\n');
    linkSync(join(root, 'etc', 'shared'), join(root, 'etc', 'hard'));
    symlinkSync('/etc/shared', join(root, 'abs-link'));
  }
  writeFileSync(join(lower, 'etc', 'app', 'old.conf'), 'old\n');
  mkdirSync(join(lower, 'var', 'cache'), { recursive: true });
  writeFileSync(join(lower, 'var', 'cache', 'x'), 'x\n');
  writeFileSync(join(lower, 'etc', 'motd'), 'v1\n');
  writeFileSync(join(upper, 'etc', 'motd'), 'v2, longer\n');
  writeFileSync(join(upper, 'etc', 'app', 'new.conf'), 'new\n');
  return ['--layer', lower, '--diff', `${lower}:${upper}`];
}

describe.runIf(havePeers('umoci', 'tar'))('type=local and type=tar against umoci and GNU tar', () => {
  it("hold the tree umoci unpacks from the same image's OCI layout", async () => {
    const inputs = twoLayers('t');
    const r = await lading(
      [
        'export',
        ...inputs,
        '-o',
        'type=oci,tar=false,dest=layout',
        '-o',
        'type=tar,dest=fs.tar',
        '-o',
        'local',
        '-t',
        'app:1',
      ],
      { cwd: dir.path, env: env() },
    );
    expect(r.stderr).not.toContain('WARNING');
    expect(r.code).toBe(0);
    await run('umoci', ['unpack', '--rootless', '--image', `${at('layout')}:1`, at('bundle')]);
    const expected = treeContents(at('bundle/rootfs'));
    expect(Object.keys(expected)).not.toContain('var/cache/x');
    expect(expected['etc/motd']).toContain(Buffer.from('v2, longer\n').toString('base64'));
    expect(treeContents(at('local'))).toEqual(expected);
    mkdirSync(at('untarred'));
    await run('tar', ['-xpf', at('fs.tar'), '-C', at('untarred')]);
    expect(treeContents(at('untarred'))).toEqual(expected);
    // GNU tar lists whole-second times of the epoch, numeric owners, the hard link as a link.
    const listing = (await run('tar', ['--numeric-owner', '--full-time', '-tvf', at('fs.tar')])).stdout;
    expect(listing).toMatch(
      /^hrw-r--r-- 0\/0 +0 2023-11-14 22:13:20 etc\/(hard|shared) link to etc\/(shared|hard)$/m,
    );
    expect(listing).not.toContain('.wh.');
  });
});

describe.runIf(havePeers('skopeo'))('annotations and names that skopeo reads', () => {
  it('skopeo finds the image by its ref name and reads the manifest annotations', async () => {
    const r = await lading(
      [
        'export',
        helloRootfs,
        '-o',
        'type=oci,dest=img.tar',
        '-t',
        'reg.example/team/app:2',
        '--annotation',
        'org.opencontainers.image.source=https://example.invalid/app',
        '--annotation',
        'manifest:org.example.build=42',
      ],
      { cwd: dir.path, env: env() },
    );
    expect(r.code).toBe(0);
    const raw = JSON.parse(
      (await run('skopeo', ['inspect', '--raw', `oci-archive:${at('img.tar')}:2`])).stdout,
    );
    expect(raw.annotations).toEqual({
      'org.opencontainers.image.source': 'https://example.invalid/app',
      'org.example.build': '42',
    });
  });
});

describe.runIf(havePeers('containerd', 'ctr'))('names containerd reads from an OCI archive', () => {
  let daemon: RunningContainerd;
  beforeAll(async () => {
    daemon = await startContainerd();
  }, 60_000);
  afterAll(async () => daemon?.stop());

  it('ctr images import names the image by io.containerd.image.name', async () => {
    const r = await lading(['export', helloRootfs, '-o', 'type=oci,dest=named.tar', '-t', 'hello:7'], {
      cwd: dir.path,
      env: env(),
    });
    expect(r.code).toBe(0);
    await daemon.ctr(['images', 'import', at('named.tar')], { namespace: 'outputs' });
    const names = (await daemon.ctr(['images', 'ls', '-q'], { namespace: 'outputs' })).stdout
      .trim()
      .split('\n');
    expect(names).toEqual(['docker.io/library/hello:7']);
  });
});

describe.runIf(havePeers('docker-registry', 'skopeo'))('--push into a real registry', () => {
  let registry: RunningRegistry;
  beforeAll(async () => {
    registry = await startRegistry();
  }, 60_000);
  afterAll(async () => registry?.stop());

  it('--push pushes the image output; an index annotation reaches the registry', async () => {
    const ref = `${registry.host}/outputs/app:1`;
    const r = await lading(
      [
        'export',
        helloRootfs,
        '--platform',
        'linux/amd64,linux/arm64',
        '-o',
        // type=image defaults to Docker media types, which carry no index annotations (BuildKit refuses them too).
        'type=image,registry.insecure=true,oci-mediatypes=true',
        '--push',
        '-t',
        ref,
        '--annotation',
        'index:org.example.pushed=yes',
        '--json',
      ],
      { cwd: dir.path, env: env() },
    );
    expect(r.stderr).not.toContain('ERROR');
    expect(r.code).toBe(0);
    const digest = JSON.parse(r.stdout)['containerimage.digest'];
    const raw = (await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`])).stdout;
    expect(JSON.parse(raw).annotations).toEqual({ 'org.example.pushed': 'yes' });
    const pulled = JSON.parse(
      (await run('skopeo', ['inspect', '--tls-verify=false', '--override-arch', 'arm64', `docker://${ref}`]))
        .stdout,
    );
    expect(pulled.Architecture).toBe('arm64');
    expect(readFileSync(at('store/index.json'), 'utf8')).toContain(digest);
  });
});
