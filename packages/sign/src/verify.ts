import { type Digest, digestAlgorithm, digestOf, isLadingError } from '@lading/digest';
import { verifyCosign } from './cosign-signature.js';
import { identityMatches, type SignedIdentity } from './identity.js';
import { checkOpenPgp } from './openpgp-signature.js';
import {
  atomicSignatureType,
  cosignSignatureType,
  decodePayload,
  type PayloadType,
  type SignaturePayload,
} from './payload.js';
import { cosignSignatureAnnotation, cosignSignatureMediaType, type ImageSignature } from './signature.js';
import type { VerificationKeys } from './verification-keys.js';

/**
 * What the signatures of an image say, for the keys given:
 * - `verified`: one signature is by a key, over this manifest, for an accepted name;
 * - `unsigned`: there is no signature at all (of the formats asked for);
 * - `wrong-key`: there are signatures, none by these keys;
 * - `mismatch`: a signature by one of the keys does not match the image: made over another manifest digest, for a
 *   name the identity rule does not accept, or altered after signing (it names the key but does not verify).
 */
export type Verdict = 'verified' | 'unsigned' | 'wrong-key' | 'mismatch';

export interface SignatureCheck {
  readonly format: ImageSignature['format'];
  readonly result: 'accepted' | 'wrong-key' | 'mismatch';
  /** One line: why it was accepted or not. */
  readonly reason: string;
  /** The key that made an accepted or mismatching signature (OpenPGP fingerprint, or "cosign key N"). */
  readonly signer?: string;
  readonly payload?: SignaturePayload;
}

export interface VerificationResult {
  readonly verdict: Verdict;
  readonly checks: readonly SignatureCheck[];
  /** The first accepted signature. */
  readonly accepted?: SignatureCheck;
}

export interface VerifyOptions {
  readonly keys: VerificationKeys;
  /** The exact bytes of the manifest (or index) the signatures are for. */
  readonly manifest: Uint8Array;
  /** The name the image was asked for (`registry/repo:tag` or `@digest`); undefined for an unnamed image. */
  readonly reference: string | undefined;
  /** Default: `matchRepoDigestOrExact`, containers/image's default; `any` checks no name (an unnamed image). */
  readonly identity?: SignedIdentity | 'any';
  /** Only these formats count (policy `signedBy` takes simple signing, `sigstoreSigned` cosign). Default: both. */
  readonly formats?: readonly ImageSignature['format'][];
}

/** Whether the manifest bytes hash to the signed digest, in the signed digest's algorithm. */
function matchesDigest(manifest: Uint8Array, signed: Digest): boolean {
  try {
    return digestOf(manifest, digestAlgorithm(signed)) === signed;
  } catch {
    return false;
  }
}

function checkPayload(
  bytes: Uint8Array,
  type: PayloadType,
  signer: string,
  format: ImageSignature['format'],
  options: VerifyOptions,
): SignatureCheck {
  let payload: SignaturePayload;
  try {
    payload = decodePayload(bytes, type);
  } catch (err) {
    return {
      format,
      result: 'mismatch',
      signer,
      reason: `signed by ${signer}, but ${(err as Error).message}`,
    };
  }
  if (!matchesDigest(options.manifest, payload.manifestDigest)) {
    return {
      format,
      result: 'mismatch',
      signer,
      payload,
      reason: `signed by ${signer} for manifest ${payload.manifestDigest}, not this image's ${digestOf(options.manifest)}`,
    };
  }
  const rule = options.identity ?? { type: 'matchRepoDigestOrExact' };
  if (rule !== 'any' && !identityMatches(rule, options.reference, payload.dockerReference)) {
    return {
      format,
      result: 'mismatch',
      signer,
      payload,
      reason: `signed by ${signer} for ${JSON.stringify(payload.dockerReference)}, which ${rule.type} does not accept for ${options.reference ?? 'this image'}`,
    };
  }
  return {
    format,
    result: 'accepted',
    signer,
    payload,
    reason: `signed by ${signer} as ${payload.dockerReference}`,
  };
}

async function checkOne(sig: ImageSignature, options: VerifyOptions): Promise<SignatureCheck | undefined> {
  if (sig.format === 'simple-signing') {
    let check: Awaited<ReturnType<typeof checkOpenPgp>>;
    try {
      check = await checkOpenPgp(sig.blob, options.keys.openPgp);
    } catch (err) {
      if (!isLadingError(err)) throw err;
      return {
        format: sig.format,
        result: 'mismatch',
        reason: `an unreadable simple signature: ${(err as Error).message}`,
      };
    }
    if (check.result === 'unknown-key')
      return {
        format: sig.format,
        result: 'wrong-key',
        reason: `signed by key ${check.keyId}, not one of those given`,
      };
    if (check.result === 'invalid') {
      return {
        format: sig.format,
        result: 'mismatch',
        signer: check.keyId,
        reason: `names key ${check.keyId} but does not verify: ${check.reason}`,
      };
    }
    return checkPayload(check.payload, atomicSignatureType, check.fingerprint, sig.format, options);
  }
  // other attachments stored beside signatures are not signatures (containers/image skips them too)
  if (sig.mimeType !== cosignSignatureMediaType) return undefined;
  const b64 = sig.annotations[cosignSignatureAnnotation];
  if (b64 === undefined)
    return {
      format: sig.format,
      result: 'mismatch',
      reason: `a cosign signature without its ${cosignSignatureAnnotation} annotation`,
    };
  // an ECDSA signature does not name its key: one that no key verifies is by another key (or altered; they look alike)
  const index = options.keys.cosign.findIndex((k) => verifyCosign(sig.payload, b64, k));
  if (index < 0)
    return {
      format: sig.format,
      result: 'wrong-key',
      reason: 'a cosign signature that none of the public keys given verifies',
    };
  return checkPayload(sig.payload, cosignSignatureType, `cosign key ${index + 1}`, sig.format, options);
}

/** Checks every signature against the keys, the manifest and the identity rule; one accepted signature is enough. */
export async function verifyImageSignatures(
  signatures: readonly ImageSignature[],
  options: VerifyOptions,
): Promise<VerificationResult> {
  const checks: SignatureCheck[] = [];
  for (const sig of signatures) {
    if (options.formats && !options.formats.includes(sig.format)) continue;
    const check = await checkOne(sig, options);
    if (check === undefined) continue;
    checks.push(check);
    if (check.result === 'accepted') return { verdict: 'verified', checks, accepted: check };
  }
  const verdict: Verdict =
    checks.length === 0 ? 'unsigned' : checks.some((c) => c.result === 'mismatch') ? 'mismatch' : 'wrong-key';
  return { verdict, checks };
}
