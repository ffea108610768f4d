import { InvalidInputError } from '@lading/digest';
import type { Key } from 'openpgp';
import { type OpenPgpSigningKey, openpgp } from './openpgp-keys.js';
import { signNative } from './openpgp-native-sign.js';

/**
 * A non-detached OpenPGP signed message over the payload (what gpgme's `SigModeNormal` makes and
 * containers/image stores): one-pass signature, literal data, signature.
 */
export async function signOpenPgp(payload: Uint8Array, key: OpenPgpSigningKey): Promise<Uint8Array> {
  if (key.native !== undefined) return signNative(payload, key.native);
  const pgp = await openpgp();
  const message = await pgp.createMessage({ binary: payload });
  return pgp.sign({ message, signingKeys: key.key, format: 'binary' });
}

export type OpenPgpCheck =
  /** Made by one of the keys, and intact. */
  | { readonly result: 'valid'; readonly payload: Uint8Array; readonly fingerprint: string }
  /** Made by a key that is not among those trusted. */
  | { readonly result: 'unknown-key'; readonly keyId: string }
  /** Names a trusted key, but the signature does not verify (payload or signature altered, or key expired). */
  | { readonly result: 'invalid'; readonly keyId: string; readonly reason: string };

/** Reads an OpenPGP signed message; a blob that is not one is an `InvalidInputError` (SIGNATURE_INVALID). */
export async function checkOpenPgp(blob: Uint8Array, keys: readonly Key[]): Promise<OpenPgpCheck> {
  const pgp = await openpgp();
  let message: Awaited<ReturnType<typeof pgp.readMessage<Uint8Array>>>;
  try {
    message = await pgp.readMessage({ binaryMessage: blob });
  } catch (cause) {
    throw new InvalidInputError('SIGNATURE_INVALID', 'not an OpenPGP signed message', { cause });
  }
  const ids = message.getSigningKeyIDs();
  if (ids.length !== 1) {
    // gpgme's Verify wants exactly one signature (containers/image `signature/mechanism_gpgme.go`)
    throw new InvalidInputError('SIGNATURE_INVALID', `an OpenPGP signature with ${ids.length} signers`);
  }
  const keyId = (ids[0] as (typeof ids)[number]).toHex().toUpperCase();
  const signer = keys.find((k) => k.getKeyIDs().some((id) => id.toHex().toUpperCase() === keyId));
  if (signer === undefined) return { result: 'unknown-key', keyId };
  try {
    const verified = await pgp.verify({
      message,
      verificationKeys: [signer],
      format: 'binary',
      expectSigned: true,
    });
    const data = verified.data as Uint8Array;
    return { result: 'valid', payload: data, fingerprint: signer.getFingerprint().toUpperCase() };
  } catch (cause) {
    return { result: 'invalid', keyId, reason: (cause as Error).message };
  }
}
