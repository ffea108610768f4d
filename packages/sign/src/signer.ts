import type { Digest } from '@lading/digest';
import { InvalidInputError } from '@lading/digest';
import { type CosignSigningKey, isCosignPrivateKey, readCosignPrivateKey } from './cosign-keys.js';
import { signCosign } from './cosign-signature.js';
import { type GpgOptions, signWithGpg } from './gpg.js';
import { isArmoredOpenPgpPrivateKey, readOpenPgpPrivateKey } from './openpgp-keys.js';
import { signOpenPgp } from './openpgp-signature.js';
import { atomicSignatureType, cosignSignatureType, encodePayload, type PayloadOptions } from './payload.js';
import { cosignSignatureAnnotation, cosignSignatureMediaType, type ImageSignature } from './signature.js';

/** Something that signs images: an OpenPGP key (simple signing) or a cosign key. */
export interface ImageSigner {
  readonly format: ImageSignature['format'];
  /** For messages: the key's fingerprint or "cosign key FILE"; never key material. */
  readonly description: string;
  sign(manifestDigest: Digest, dockerReference: string, options?: PayloadOptions): Promise<ImageSignature>;
}

export function openPgpSigner(key: Awaited<ReturnType<typeof readOpenPgpPrivateKey>>): ImageSigner {
  return {
    format: 'simple-signing',
    description: `OpenPGP key ${key.fingerprint}`,
    async sign(digest, reference, options) {
      const payload = encodePayload(atomicSignatureType, digest, reference, options);
      return { format: 'simple-signing', blob: await signOpenPgp(payload, key) };
    },
  };
}

/** buildah's `--sign-by FINGERPRINT`: the `gpg` binary signs with a key of its keyring (`GNUPGHOME`). */
export function gpgSigner(keyId: string, options: GpgOptions = {}): ImageSigner {
  return {
    format: 'simple-signing',
    description: `gpg key ${keyId}`,
    async sign(digest, reference, payloadOptions) {
      const payload = encodePayload(atomicSignatureType, digest, reference, payloadOptions);
      return { format: 'simple-signing', blob: await signWithGpg(payload, keyId, options) };
    },
  };
}

export function cosignSigner(key: CosignSigningKey, description = 'cosign key'): ImageSigner {
  return {
    format: 'sigstore',
    description,
    async sign(digest, reference, options) {
      const payload = encodePayload(cosignSignatureType, digest, reference, options);
      return {
        format: 'sigstore',
        mimeType: cosignSignatureMediaType,
        payload,
        annotations: { [cosignSignatureAnnotation]: signCosign(payload, key.key) },
      };
    },
  };
}

/**
 * A signing key file, told apart by its content: an armored OpenPGP private key, or a cosign private key
 * (`ENCRYPTED COSIGN PRIVATE KEY` or `ENCRYPTED SIGSTORE PRIVATE KEY`). A public key, or anything else, is an
 * `InvalidInputError` that quotes none of the file.
 */
export async function loadSigningKey(
  data: Uint8Array | string,
  options: { passphrase?: string; source?: string } = {},
): Promise<ImageSigner> {
  const text = typeof data === 'string' ? data : new TextDecoder().decode(data);
  const source = options.source ?? 'the signing key';
  const opts = { source, ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}) };
  if (isArmoredOpenPgpPrivateKey(text)) return openPgpSigner(await readOpenPgpPrivateKey(text, opts));
  if (isCosignPrivateKey(text))
    return cosignSigner(await readCosignPrivateKey(text, opts), `cosign key ${source}`);
  if (/-----BEGIN (PGP PUBLIC KEY BLOCK|PUBLIC KEY)-----/.test(text)) {
    throw new InvalidInputError(
      'KEY_NOT_PRIVATE',
      `${source} is a public key: signing needs the private key (verify takes the public one)`,
    );
  }
  throw new InvalidInputError(
    'KEY_UNKNOWN_TYPE',
    `${source}: neither an armored OpenPGP private key nor a cosign private key (ENCRYPTED COSIGN PRIVATE KEY)`,
  );
}
