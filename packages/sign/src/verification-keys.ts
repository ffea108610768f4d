import type { KeyObject } from 'node:crypto';
import { InvalidInputError } from '@lading/digest';
import type { Key } from 'openpgp';
import { readCosignPublicKey } from './cosign-keys.js';
import { isArmoredOpenPgpPrivateKey, readOpenPgpPublicKeys } from './openpgp-keys.js';

/** Public keys to verify with: OpenPGP keys check simple signatures, PKIX keys check cosign signatures. */
export interface VerificationKeys {
  readonly openPgp: readonly Key[];
  readonly cosign: readonly KeyObject[];
}

/**
 * Reads public key files, each told apart by content: armored or binary OpenPGP keys, or a `PUBLIC KEY` PEM. A
 * private key is refused: a verifier should never hold one.
 */
export async function readVerificationKeys(
  files: readonly { readonly data: Uint8Array; readonly source: string }[],
): Promise<VerificationKeys> {
  const openPgp: Key[] = [];
  const cosign: KeyObject[] = [];
  for (const { data, source } of files) {
    const text = new TextDecoder().decode(data);
    if (isArmoredOpenPgpPrivateKey(text) || /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
      throw new InvalidInputError('KEY_IS_PRIVATE', `${source} is a private key: verify with the public key`);
    }
    if (text.includes('-----BEGIN PUBLIC KEY-----')) cosign.push(readCosignPublicKey(text, source));
    else openPgp.push(...(await readOpenPgpPublicKeys(data, source)));
  }
  return { openPgp, cosign };
}
