import { InvalidInputError } from '@lading/digest';
import type { Key, PrivateKey } from 'openpgp';
import { requireWithCodeCache } from './cached-require.js';
import { type NativeSigningKey, readNativeSigningKey } from './openpgp-native-key.js';

// openpgp.js is large: loaded on first use, so commands that never sign pay nothing for it, and through V8's code
// cache (its self-contained CommonJS build, the one Node's `require` picks), so a signing push does not spend
// most of its signing time compiling it.
export type OpenPgp = typeof import('openpgp');
let loaded: Promise<OpenPgp> | undefined;
export function openpgp(): Promise<OpenPgp> {
  loaded ??= (async () => {
    try {
      return requireWithCodeCache('openpgp', import.meta.url) as OpenPgp;
    } catch {
      return import('openpgp');
    }
  })();
  return loaded;
}

/** Whether openpgp.js has been loaded (or its load begun) in this process: the native signer's tests ask. */
export function isOpenPgpLoaded(): boolean {
  return loaded !== undefined;
}

const armoredPrivate = '-----BEGIN PGP PRIVATE KEY BLOCK-----';

export function isArmoredOpenPgpPrivateKey(text: string): boolean {
  return text.includes(armoredPrivate);
}

/**
 * An OpenPGP key ready to sign: decrypted, with its primary fingerprint (upper-case hex, as gpgme prints it).
 * Either openpgp.js's key, or (for the common keys: see openpgp-native-key.ts) a node:crypto one.
 */
export type OpenPgpSigningKey =
  | { readonly key: PrivateKey; readonly fingerprint: string; readonly native?: undefined }
  | { readonly native: NativeSigningKey; readonly fingerprint: string; readonly key?: undefined };

/**
 * Reads an armored OpenPGP private key and unlocks it with the passphrase. A wrong or missing passphrase is an
 * `InvalidInputError` that names neither the passphrase nor any key material.
 */
export async function readOpenPgpPrivateKey(
  armored: string,
  options: { passphrase?: string; source?: string } = {},
): Promise<OpenPgpSigningKey> {
  // v4 RSA and Ed25519 keys without openpgp.js (its load is most of a signing push's signing time)
  const native = readNativeSigningKey(armored, options);
  if (native !== undefined) return { native, fingerprint: native.fingerprint };
  const pgp = await openpgp();
  const what = options.source ?? 'the OpenPGP key';
  let key: PrivateKey;
  try {
    key = await pgp.readPrivateKey({ armoredKey: armored });
  } catch (cause) {
    throw new InvalidInputError('KEY_INVALID', `${what}: not a readable OpenPGP private key`, { cause });
  }
  if (!key.isDecrypted()) {
    if (options.passphrase === undefined || options.passphrase === '') {
      throw new InvalidInputError(
        'PASSPHRASE_REQUIRED',
        `${what} is protected by a passphrase: give it with --passphrase-file FILE or $LADING_PASSPHRASE`,
      );
    }
    try {
      key = await pgp.decryptKey({ privateKey: key, passphrase: options.passphrase });
    } catch {
      throw new InvalidInputError('WRONG_PASSPHRASE', `${what}: the passphrase does not unlock it`);
    }
  }
  return { key, fingerprint: key.getFingerprint().toUpperCase() };
}

/** Public OpenPGP keys from armored or binary key data (one file may hold several, as a keyring). */
export async function readOpenPgpPublicKeys(data: Uint8Array, source: string): Promise<Key[]> {
  const pgp = await openpgp();
  const text = new TextDecoder().decode(data);
  try {
    const keys = text.includes('-----BEGIN PGP')
      ? await pgp.readKeys({ armoredKeys: text })
      : await pgp.readKeys({ binaryKeys: data });
    return keys.map((k) => (k.isPrivate() ? k.toPublic() : k));
  } catch (cause) {
    throw new InvalidInputError('KEY_INVALID', `${source}: not a readable OpenPGP public key`, { cause });
  }
}
