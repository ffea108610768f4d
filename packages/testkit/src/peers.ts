import { execFileSync } from 'node:child_process';

export type PeerName =
  | 'skopeo'
  | 'umoci'
  | 'buildah'
  | 'docker-registry'
  | 'pigz'
  | 'zstd'
  | 'tar'
  | 'openssl';

const binaries: Record<PeerName, string> = {
  skopeo: 'skopeo',
  umoci: 'umoci',
  buildah: 'buildah',
  'docker-registry': 'docker-registry',
  pigz: 'pigz',
  zstd: 'zstd',
  tar: 'tar',
  openssl: 'openssl',
};

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

export const inCI = process.env.CI === 'true' || process.env.CI === '1';

const reported = new Set<string>();

/**
 * Whether the peers are here. Under CI a missing peer is a failure (it throws); elsewhere the caller skips the test
 * and a clear line says what was skipped and how to install the peer.
 */
export function havePeers(...names: PeerName[]): boolean {
  const missing = names.filter((n) => findPeer(n) === undefined);
  if (missing.length === 0) return true;
  const message = `peer(s) not installed: ${missing.join(', ')} (Debian: apt-get install ${missing
    .map((m) => (m === 'docker-registry' ? 'docker-registry' : m))
    .join(' ')}; or run tools/install-peers.sh)`;
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
    throw new Error(`${name} is not installed (Debian: apt-get install ${name})`);
  }
  return found;
}
