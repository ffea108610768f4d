// Signing keys for tests, made by gpg itself (the peer containers/image and skopeo verify with).
import { mkdir } from 'node:fs/promises';
import { type RunResult, run } from './run.js';

export interface GpgKeyOptions {
  /** gpg's algorithm name (`default`, `ed25519`, `rsa3072`, `nistp256`); default `default`. */
  readonly algo?: string;
  /** The key's passphrase; default none. */
  readonly passphrase?: string;
  /** Also a signing subkey of this algorithm (the primary key then certifies only what gpg lets it). */
  readonly signSubkey?: string;
}

export interface GpgKey {
  /** The GNUPGHOME the key is in (several keys may share one). */
  readonly home: string;
  /** The primary key's fingerprint. */
  readonly fingerprint: string;
  /** `gpg --armor --export-secret-keys`. */
  readonly secretArmored: string;
  /** `gpg --armor --export`. */
  readonly publicArmored: string;
}

/** gpg in batch mode on `home`, the passphrase (if any) given on the command line. */
export function gpgIn(home: string, args: readonly string[], passphrase?: string): Promise<RunResult> {
  const unlock = passphrase === undefined ? [] : ['--pinentry-mode', 'loopback', '--passphrase', passphrase];
  return run('gpg', ['--homedir', home, '--batch', ...unlock, ...args]);
}

/**
 * A new key `NAME <NAME@example.com>` in `home` (made, mode 0700, if missing), that never expires; its fingerprint
 * and its armored secret and public keys.
 */
export async function makeGpgKey(home: string, name: string, options: GpgKeyOptions = {}): Promise<GpgKey> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  const pass = options.passphrase ?? '';
  const uid = `${name} <${name}@example.com>`;
  await gpgIn(home, ['--quick-gen-key', uid, options.algo ?? 'default', 'default', 'never'], pass);
  const listed = (await gpgIn(home, ['--list-secret-keys', '--with-colons', `<${name}@example.com>`])).stdout;
  // The first fpr record follows the primary key's sec record.
  const fingerprint = listed
    .split('\n')
    .find((l) => l.startsWith('fpr:'))
    ?.split(':')[9];
  if (fingerprint === undefined) throw new Error(`gpg made no key for ${uid} in ${home}:\n${listed}`);
  if (options.signSubkey !== undefined) {
    await gpgIn(home, ['--quick-add-key', fingerprint, options.signSubkey, 'sign', 'never'], pass);
  }
  const secretArmored = (await gpgIn(home, ['--armor', '--export-secret-keys', fingerprint], pass)).stdout;
  const publicArmored = (await gpgIn(home, ['--armor', '--export', fingerprint])).stdout;
  return { home, fingerprint, secretArmored, publicArmored };
}
