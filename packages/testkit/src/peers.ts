import { execFileSync } from 'node:child_process';

export type PeerName =
  | 'skopeo'
  | 'umoci'
  | 'buildah'
  | 'docker-registry'
  | 'pigz'
  | 'zstd'
  | 'tar'
  | 'openssl'
  | 'dockerd'
  | 'docker'
  | 'containerd'
  | 'ctr'
  | 'runc'
  | 'busybox'
  | 'setpriv';

const binaries: Record<PeerName, string> = {
  skopeo: 'skopeo',
  umoci: 'umoci',
  buildah: 'buildah',
  'docker-registry': 'docker-registry',
  pigz: 'pigz',
  zstd: 'zstd',
  tar: 'tar',
  openssl: 'openssl',
  dockerd: 'dockerd',
  docker: 'docker',
  containerd: 'containerd',
  ctr: 'ctr',
  runc: 'runc',
  busybox: 'busybox',
  setpriv: 'setpriv',
};

/** The Debian package that brings each peer (the name apt-get takes). */
const debianPackage: Record<PeerName, string> = {
  ...binaries,
  dockerd: 'docker.io',
  docker: 'docker.io',
  ctr: 'containerd',
  busybox: 'busybox-static',
  setpriv: 'util-linux',
};

/** Peers that need root: daemons (their own mounts, namespaces and cgroups), and setpriv to drop to another user. */
const needsRoot = new Set<PeerName>(['dockerd', 'containerd', 'setpriv']);

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

const cache = new Map<PeerName, string | undefined>();

/** Absolute path of a peer's binary, or undefined when it is not installed. */
export function findPeer(name: PeerName): string | undefined {
  if (!cache.has(name)) {
    let found: string | undefined;
    try {
      found =
        execFileSync('sh', ['-c', `command -v ${binaries[name]}`], { encoding: 'utf8' }).trim() || undefined;
    } catch {
      found = undefined;
    }
    cache.set(name, found);
  }
  return cache.get(name);
}

/** Any non-empty CI other than "false"/"0" counts, as CI services set it to different values. */
export const inCI = process.env.CI !== undefined && !['', '0', 'false'].includes(process.env.CI);

const reported = new Set<string>();

/**
 * Whether the peers are here. Under CI a missing peer is a failure (it throws); elsewhere the caller skips the test
 * and a clear line says what was skipped and how to install the peer.
 */
export function havePeers(...names: PeerName[]): boolean {
  const missing = names.filter((n) => findPeer(n) === undefined);
  const rootless = isRoot() ? [] : names.filter((n) => needsRoot.has(n) && !missing.includes(n));
  if (missing.length === 0 && rootless.length === 0) return true;
  const parts: string[] = [];
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map((m) => debianPackage[m]))];
    parts.push(
      `peer(s) not installed: ${missing.join(', ')} (Debian: apt-get install ${pkgs.join(' ')}; or run tools/install-peers.sh)`,
    );
  }
  if (rootless.length > 0)
    parts.push(`peer(s) that need root: ${rootless.join(', ')} (run the tests as root)`);
  const message = parts.join('; ');
  if (inCI) throw new Error(`CI=true and ${message}`);
  if (!reported.has(message)) {
    reported.add(message);
    process.stderr.write(`[lading testkit] SKIPPING tests that need ${message}\n`);
  }
  return false;
}

/** Throws unless the peer is installed (use inside a test that cannot run without it). */
export function requirePeer(name: PeerName): string {
  const found = findPeer(name);
  if (found === undefined) {
    throw new Error(`${name} is not installed (Debian: apt-get install ${debianPackage[name]})`);
  }
  return found;
}
