// lading-buildah's docker-daemon: transport against a real Docker Engine (dockerd 20.10, vfs). The oracles are the
// daemon (docker run, docker image inspect) and containers/image itself (skopeo's docker-daemon: source).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  havePeers,
  type PeerSetup,
  type RunningDockerd,
  run,
  setUpPeer,
  startDockerd,
  type TempDir,
} from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ladingBuildah } from './helpers.js';

interface SkopeoManifest {
  config: { digest: string };
  layers: { digest: string; size: number }[];
}

describe.runIf(havePeers('dockerd', 'docker', 'busybox', 'skopeo'))('lading-buildah docker-daemon:', () => {
  let dockerd: RunningDockerd;
  let tmp: TempDir;
  let root: string;
  let rootfs: string;

  const lbr = async (args: string[]) => {
    const r = await ladingBuildah(root, args, { env: { DOCKER_HOST: dockerd.host } });
    if (r.code !== 0) throw new Error(`lading-buildah ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const inspectId = async (name: string) =>
    (await dockerd.docker(['image', 'inspect', '--format', '{{.Id}}', name])).stdout.trim();
  /** containers/image's view of a daemon image (skopeo reads it with `docker save`, as buildah would). */
  const skopeoRaw = async (name: string): Promise<SkopeoManifest> =>
    JSON.parse(
      (await run('skopeo', ['inspect', '--daemon-host', dockerd.host, '--raw', `docker-daemon:${name}`]))
        .stdout,
    );
  const storedImage = async (name: string) =>
    JSON.parse(await lbr(['inspect', '--type', 'image', name])) as {
      FromImageID: string;
      Manifest: SkopeoManifest;
    };

  let peer: PeerSetup<RunningDockerd> | undefined;
  beforeAll(async () => {
    peer = await setUpPeer(startDockerd(), 'lading-buildah-daemon-int-', { busybox: true });
    ({ daemon: dockerd, dir: tmp, rootfs } = peer);
    root = join(tmp.path, 'root');
    writeFileSync(join(rootfs, 'etc', 'message'), 'pushed by lading-buildah\n');
  }, 120_000);
  afterAll(async () => peer?.stop());

  it('push IMAGE docker-daemon:app:2, then docker run works; the ID is the config digest', async () => {
    const c = await lbr(['from', 'scratch']);
    await lbr(['copy', c, rootfs, '/']);
    await lbr(['config', '--cmd', '["/bin/cat","/etc/message"]', c]);
    await lbr(['commit', '-q', c, 'img:1']);
    await lbr(['push', 'img:1', 'docker-daemon:app:2']);
    expect((await dockerd.docker(['run', '--rm', '--network', 'none', 'app:2'])).stdout).toBe(
      'pushed by lading-buildah\n',
    );
    const mine = await storedImage('img:1');
    expect(await inspectId('app:2')).toBe(mine.Manifest.config.digest);
    // containers/image sees the same config and layer digests in the daemon
    const theirs = await skopeoRaw('app:2');
    expect(theirs.config.digest).toBe(mine.Manifest.config.digest);
  });

  it('commit straight to docker-daemon:NAME:TAG', async () => {
    const c = await lbr(['from', 'scratch']);
    await lbr(['copy', c, rootfs, '/']);
    await lbr(['config', '--cmd', '["/bin/echo","committed"]', c]);
    await lbr(['commit', '-q', c, 'docker-daemon:committed:1']);
    expect((await dockerd.docker(['run', '--rm', '--network', 'none', 'committed:1'])).stdout).toBe(
      'committed\n',
    );
  });

  it('from docker-daemon:app:2 reads it back: the same config, layers as containers/image reads them', async () => {
    await lbr(['rmi', '-a', '-f']).catch(() => '');
    const c = await lbr(['from', 'docker-daemon:app:2']);
    expect(c).toBe('app-working-container');
    const stored = await storedImage('docker.io/library/app:2');
    const theirs = await skopeoRaw('app:2');
    expect(`sha256:${stored.FromImageID}`).toBe(await inspectId('app:2'));
    expect(stored.Manifest.config.digest).toBe(theirs.config.digest);
    expect(stored.Manifest.layers.map((l) => [l.digest, l.size])).toEqual(
      theirs.layers.map((l) => [l.digest, l.size]),
    );
    // and back into the daemon under another name: already there, only tagged, the same ID
    await lbr(['commit', '-q', c, 'again:1']);
    await lbr(['push', 'docker.io/library/app:2', 'docker-daemon:app:back']);
    expect(await inspectId('app:back')).toBe(await inspectId('app:2'));
  });

  it('from an image the daemon built itself (BuildKit), by name and by image ID', async () => {
    const ctx = join(tmp.path, 'ctx');
    await run('mkdir', ['-p', ctx]);
    writeFileSync(
      join(ctx, 'Dockerfile'),
      'FROM scratch\nCOPY rootfs/ /\nCOPY extra /extra\nCMD ["/bin/sh"]\n',
    );
    writeFileSync(join(ctx, 'extra'), 'second layer\n');
    await run('cp', ['-a', rootfs, join(ctx, 'rootfs')]);
    const id = await dockerd.build(ctx, { tag: 'built:1' });
    await lbr(['from', 'docker-daemon:built:1']);
    const byName = await storedImage('docker.io/library/built:1');
    expect(`sha256:${byName.FromImageID}`).toBe(id);
    expect(byName.Manifest.layers.map((l) => l.digest)).toEqual(
      (await skopeoRaw('built:1')).layers.map((l) => l.digest),
    );
    const byId = await ladingBuildah(root, ['from', `docker-daemon:${id}`], {
      env: { DOCKER_HOST: dockerd.host },
    });
    expect(byId.code).toBe(0);
  });

  it('a name the daemon does not have: exit 4 with its message', async () => {
    const r = await ladingBuildah(root, ['from', 'docker-daemon:missing:1'], {
      env: { DOCKER_HOST: dockerd.host },
    });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('docker-daemon:missing:1');
    expect(r.stderr).toContain('reference does not exist');
  });
});
