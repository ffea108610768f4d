import { OptionError } from '@lading/digest';
import { EngineError } from './errors.js';

/**
 * The newest Engine API version this client speaks (Docker 28). Every call it makes exists unchanged from 1.24 up;
 * newer daemons keep older versions working down to their MinAPIVersion.
 */
export const maxApiVersion = '1.48';
/** The oldest it speaks (moby's client falls back to 1.24 when a daemon does not say). */
export const minApiVersion = '1.24';

const versionRe = /^(\d+)\.(\d+)$/;

/** -1, 0 or 1 as `a` is older than, the same as, or newer than `b` (`1.9` < `1.10`). */
export function compareApiVersions(a: string, b: string): number {
  const [, am = '0', an = '0'] = versionRe.exec(a) ?? [];
  const [, bm = '0', bn = '0'] = versionRe.exec(b) ?? [];
  const d = Number(am) - Number(bm) || Number(an) - Number(bn);
  return d < 0 ? -1 : d > 0 ? 1 : 0;
}

/** `DOCKER_API_VERSION` as given: a fixed version, used without negotiation (as moby's client does). */
export function parseApiVersionOverride(value: string): string {
  const v = value.trim().replace(/^v/, '');
  if (!versionRe.test(v)) {
    throw new OptionError(
      'ENGINE_API_VERSION_INVALID',
      `DOCKER_API_VERSION=${JSON.stringify(value)}: expected MAJOR.MINOR, e.g. 1.41`,
      { key: 'DOCKER_API_VERSION' },
    );
  }
  return v;
}

/**
 * The version to use with a daemon that announced `daemonVersion` in its `Api-Version` header (moby's
 * NegotiateAPIVersion): the lower of the daemon's and ours; 1.24 when it announced none. A daemon older than
 * what this client speaks is an error that says so.
 */
export function negotiateApiVersion(daemonVersion: string | undefined, address: string): string {
  const announced =
    daemonVersion !== undefined && versionRe.test(daemonVersion) ? daemonVersion : minApiVersion;
  if (compareApiVersions(announced, minApiVersion) < 0) {
    throw new EngineError(
      'ENGINE_TOO_OLD',
      `the Docker Engine at ${address} speaks API ${announced}; lading needs ${minApiVersion} or later (Docker 1.12+)`,
      { address },
    );
  }
  return compareApiVersions(announced, maxApiVersion) < 0 ? announced : maxApiVersion;
}
