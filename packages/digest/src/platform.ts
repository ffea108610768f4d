import { arch as nodeArch, platform as nodePlatform } from 'node:process';
import type { Platform } from './descriptor.js';
import { InvalidInputError } from './errors.js';

// A Map: an architecture named `constructor` or `__proto__` must not find Object.prototype's members.
const archAliases: ReadonlyMap<string, string> = new Map([
  ['x86_64', 'amd64'],
  ['x86-64', 'amd64'],
  ['x64', 'amd64'],
  ['aarch64', 'arm64'],
  ['armhf', 'arm'],
  ['armel', 'arm'],
  ['i386', '386'],
  ['i686', '386'],
  ['ia32', '386'],
]);

/**
 * Normalises as containerd does: architecture aliases, `arm64` variant `v8` dropped (it is the default),
 * `arm` defaults to `v7`, variants lower case.
 */
export function normalizePlatform(p: Platform): Platform {
  const os = p.os.toLowerCase() === 'macos' ? 'darwin' : p.os.toLowerCase();
  let architecture = p.architecture.toLowerCase();
  let variant = p.variant?.toLowerCase();
  if (architecture === 'armhf') variant = 'v7';
  if (architecture === 'armel') variant = 'v6';
  architecture = archAliases.get(architecture) ?? architecture;
  if (architecture === 'arm64' && (variant === 'v8' || variant === '8')) variant = undefined;
  if (architecture === 'arm' && variant === undefined) variant = 'v7';
  if (architecture === 'arm' && variant !== undefined && /^\d+$/.test(variant)) variant = `v${variant}`;
  if (architecture === 'amd64' && variant === 'v1') variant = undefined;
  const out: { -readonly [K in keyof Platform]: Platform[K] } = { architecture, os };
  if (variant !== undefined) out.variant = variant;
  if (p['os.version'] !== undefined) out['os.version'] = p['os.version'];
  if (p['os.features'] !== undefined) out['os.features'] = p['os.features'];
  if (p.features !== undefined) out.features = p.features;
  return out;
}

/** Parses `os/arch[/variant]` (or a bare `os`), normalised. */
export function parsePlatform(spec: string): Platform {
  const parts = spec.split('/');
  if (parts.length < 1 || parts.length > 3 || parts.some((p) => !/^[A-Za-z0-9_.-]+$/.test(p))) {
    throw new InvalidInputError(
      'PLATFORM_INVALID',
      `invalid platform ${JSON.stringify(spec)}: expected os/arch[/variant], e.g. linux/amd64 or linux/arm/v7`,
    );
  }
  const [os, architecture = defaultPlatform().architecture, variant] = parts as [string, string?, string?];
  return normalizePlatform(variant === undefined ? { os, architecture } : { os, architecture, variant });
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter((x) => x !== undefined && x !== '').join('/');
}

/** The platform of the running machine (Linux images are what we build, whatever the host OS). */
export function defaultPlatform(): Platform {
  const architecture = archAliases.get(nodeArch) ?? nodeArch;
  const os = nodePlatform === 'win32' ? 'windows' : 'linux';
  if (architecture === 'arm') return { os, architecture, variant: 'v7' };
  return { os, architecture };
}

/**
 * Whether an image for `have` runs where `want` is asked for: same os and architecture after normalisation; a
 * missing variant on either side matches; otherwise the variants must be equal, except that arm v8 runs v7 and v6,
 * and v7 runs v6 (containerd's compatibility order). `os.version` is compared only when both give one.
 */
export function platformMatches(want: Platform, have: Platform): boolean {
  const w = normalizePlatform(want);
  const h = normalizePlatform(have);
  if (w.os !== h.os || w.architecture !== h.architecture) return false;
  if (w['os.version'] !== undefined && h['os.version'] !== undefined && w['os.version'] !== h['os.version']) {
    return false;
  }
  if (w.variant === undefined || h.variant === undefined || w.variant === h.variant) return true;
  if (w.architecture === 'arm') {
    const order = ['v5', 'v6', 'v7', 'v8'];
    const wi = order.indexOf(w.variant);
    const hi = order.indexOf(h.variant);
    return wi >= 0 && hi >= 0 && hi <= wi;
  }
  return false;
}
