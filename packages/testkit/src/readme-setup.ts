import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { writeBusyboxRootfs } from './busybox.js';
import { type RunningContainerd, startContainerd } from './containerd.js';
import { type RunningDockerd, startDockerd } from './dockerd.js';
import type { PeerName } from './peers.js';
import { type RunningRegistry, startRegistry } from './registry.js';

// What each package's README example finds in its working directory and environment: the files it names (made here
// with node:crypto and the tar peer, independently of lading) and the peers it talks to. The package's doc test and
// the packed-packages test share it, so both run the same example against the same inputs.

/** The peers a package's README example needs (gate its test with `havePeers(...readmePeers[pkg])`). */
export const readmePeers: Readonly<Record<string, readonly PeerName[]>> = {
  transports: ['tar'],
  push: ['docker-registry'],
  'docker-engine': ['dockerd', 'docker', 'busybox'],
  containerd: ['containerd', 'ctr', 'busybox', 'tar'],
};

export interface ReadmeExampleSetup extends AsyncDisposable {
  /** The example's environment: this process's, plus where the peers listen. */
  readonly env: NodeJS.ProcessEnv;
  /** Digests of what the setup wrote, by name (for the test's expectations). */
  readonly digests: Readonly<Record<string, string>>;
  readonly registry?: RunningRegistry;
  readonly dockerd?: RunningDockerd;
  readonly containerd?: RunningContainerd;
}

const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function tarOf(dir: string): Buffer {
  // Names sorted and owners numeric, as an image layer's are; GNU tar's default format.
  return execFileSync('tar', ['-C', dir, '--sort=name', '--numeric-owner', '-cf', '-', '.'], {
    maxBuffer: 64 << 20,
  });
}

interface LayoutImage {
  readonly architecture: string;
  readonly layer: Buffer;
  readonly cmd?: readonly string[];
}

/**
 * An OCI layout at `dir` holding one image: a manifest when `images` has one entry, else an index of one manifest
 * per architecture. Returns the digests it wrote (`root`, and `manifest-<arch>`, `diffid-<arch>`).
 */
export function writeReadmeLayout(dir: string, images: readonly LayoutImage[]): Record<string, string> {
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const put = (bytes: Uint8Array, mediaType: string) => {
    const digest = sha256(bytes);
    writeFileSync(join(blobs, digest.slice('sha256:'.length)), bytes);
    return { mediaType, digest, size: bytes.length };
  };
  const json = (v: unknown) => Buffer.from(JSON.stringify(v));
  const digests: Record<string, string> = {};
  const manifests = images.map((image) => {
    const diffId = sha256(image.layer);
    const config = put(
      json({
        architecture: image.architecture,
        os: 'linux',
        config: image.cmd ? { Cmd: image.cmd } : {},
        rootfs: { type: 'layers', diff_ids: [diffId] },
      }),
      'application/vnd.oci.image.config.v1+json',
    );
    const layer = put(gzipSync(image.layer), 'application/vnd.oci.image.layer.v1.tar+gzip');
    const manifest = put(
      json({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config,
        layers: [layer],
      }),
      'application/vnd.oci.image.manifest.v1+json',
    );
    digests[`manifest-${image.architecture}`] = manifest.digest;
    digests[`diffid-${image.architecture}`] = diffId;
    return { ...manifest, platform: { architecture: image.architecture, os: 'linux' } };
  });
  const root =
    manifests.length === 1
      ? { ...manifests[0], platform: undefined }
      : put(
          json({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }),
          'application/vnd.oci.image.index.v1+json',
        );
  digests.root = root.digest as string;
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ ...root, annotations: { 'org.opencontainers.image.ref.name': '1' } }],
    }),
  );
  return digests;
}

/** A `docker save` archive at `file`: one image `app:1` whose layer holds `hello.txt`. */
function writeDockerArchive(dir: string, file: string): Record<string, string> {
  const tree = join(dir, 'tree');
  mkdirSync(tree, { recursive: true });
  writeFileSync(join(tree, 'hello.txt'), 'hello\n');
  const layer = tarOf(tree);
  const diffId = sha256(layer);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: {},
      rootfs: { type: 'layers', diff_ids: [diffId] },
    }),
  );
  const configName = `${sha256(config).slice('sha256:'.length)}.json`;
  const layerName = `${diffId.slice('sha256:'.length)}/layer.tar`;
  const archive = join(dir, 'archive');
  mkdirSync(join(archive, diffId.slice('sha256:'.length)), { recursive: true });
  writeFileSync(join(archive, configName), config);
  writeFileSync(join(archive, layerName), layer);
  writeFileSync(
    join(archive, 'manifest.json'),
    JSON.stringify([{ Config: configName, RepoTags: ['app:1'], Layers: [layerName] }]),
  );
  execFileSync('tar', ['-C', archive, '-cf', file, 'manifest.json', configName, layerName]);
  return { config: sha256(config), diffId };
}

/**
 * Writes what the README example of package `pkg` (its directory name) reads into `cwd`, and starts the peers it
 * talks to (check `readmePeers` first). Dispose of the result to stop them.
 */
export async function prepareReadmeExample(pkg: string, cwd: string): Promise<ReadmeExampleSetup> {
  const stops: (() => Promise<void>)[] = [];
  let env: NodeJS.ProcessEnv = { ...process.env };
  let digests: Record<string, string> = {};
  const peers: { registry?: RunningRegistry; dockerd?: RunningDockerd; containerd?: RunningContainerd } = {};
  const busyboxTar = () => {
    const rootfs = join(cwd, '.busybox');
    writeBusyboxRootfs(rootfs);
    return tarOf(rootfs);
  };
  try {
    switch (pkg) {
      case 'digest':
        writeFileSync(join(cwd, 'layer.tar.gz'), gzipSync(Buffer.from('a layer\n'.repeat(4096))));
        break;
      case 'transports':
        digests = writeDockerArchive(join(cwd, '.fixture'), join(cwd, 'app.tar'));
        break;
      case 'layer': {
        const rootfs = mkdirAnd(join(cwd, 'rootfs', 'etc'), 'hostname', 'app\n');
        writeFileSync(join(rootfs, '..', 'README'), 'a tree for a layer\n');
        symlinkSync('etc/hostname', join(cwd, 'rootfs', 'name'));
        break;
      }
      case 'sbom':
        mkdirAnd(
          join(cwd, 'app', 'node_modules', 'left-pad'),
          'package.json',
          JSON.stringify({ name: 'left-pad', version: '1.3.0' }),
        );
        break;
      case 'push': {
        const layer = tarOf(mkdirAnd(join(cwd, '.tree'), 'hello.txt', 'hello\n'));
        digests = writeReadmeLayout(join(cwd, 'layout'), [
          { architecture: 'amd64', layer },
          { architecture: 'arm64', layer },
        ]);
        const registry = await startRegistry();
        stops.push(() => registry.stop());
        peers.registry = registry;
        env = { ...env, REGISTRY: registry.host };
        break;
      }
      case 'docker-engine': {
        writeBusyboxRootfs(join(cwd, 'rootfs'));
        const dockerd = await startDockerd();
        stops.push(() => dockerd.stop());
        peers.dockerd = dockerd;
        env = { ...dockerd.env };
        break;
      }
      case 'containerd': {
        const layer = busyboxTar();
        digests = writeReadmeLayout(join(cwd, 'out'), [
          { architecture: hostArchitecture(), layer, cmd: ['/bin/sh', '-c', 'echo hi'] },
        ]);
        const containerd = await startContainerd();
        stops.push(() => containerd.stop());
        peers.containerd = containerd;
        env = { ...env, CONTAINERD_ADDRESS: containerd.address, CONTAINERD_NAMESPACE: 'default' };
        break;
      }
    }
  } catch (error) {
    for (const stop of stops) await stop();
    throw error;
  }
  return {
    env,
    digests,
    ...peers,
    async [Symbol.asyncDispose]() {
      for (const stop of stops) await stop();
    },
  };
}

function mkdirAnd(dir: string, name: string, content: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), content);
  return dir;
}

/** The OCI architecture of this machine (what `defaultPlatform()` selects). */
export function hostArchitecture(): string {
  return (
    ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' } as Record<string, string>)[process.arch] ??
    process.arch
  );
}
