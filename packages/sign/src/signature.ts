import { InvalidInputError } from '@lading/digest';
import { isJsonObject, parseStrictJson } from './strict-json.js';

/** The layer media type of a cosign signature (cosign `pkg/types`). */
export const cosignSignatureMediaType = 'application/vnd.dev.cosign.simplesigning.v1+json';
/** The layer annotation holding the base64 signature (cosign `pkg/oci/static`). */
export const cosignSignatureAnnotation = 'dev.cosignproject.cosign/signature';
/** The artifact type of a cosign signature stored as an OCI 1.1 referrer (cosign's `ArtifactType("sig")`). */
export const cosignSignatureArtifactType = 'application/vnd.dev.cosign.artifact.sig.v1+json';

/** A signature of an image, in one of the two formats containers/image knows (`internal/signature`). */
export type ImageSignature =
  /** An OpenPGP signed message over an `atomic container signature` payload. */
  | { readonly format: 'simple-signing'; readonly blob: Uint8Array }
  /** A cosign signature: the payload, its media type and annotations (the signature itself is one of them). */
  | {
      readonly format: 'sigstore';
      readonly mimeType: string;
      readonly payload: Uint8Array;
      readonly annotations: Readonly<Record<string, string>>;
    };

const sigstoreFormatName = 'sigstore-json';

/**
 * A signature as one file (`signature-N` in a lookaside or a `dir:` image), as containers/image's `signature.Blob`
 * writes it: simple signatures as they are, others as a zero byte, the format name, a newline and JSON.
 */
export function encodeSignatureBlob(sig: ImageSignature): Uint8Array {
  if (sig.format === 'simple-signing') return sig.blob;
  const json = JSON.stringify({
    mimeType: sig.mimeType,
    payload: Buffer.from(sig.payload).toString('base64'),
    annotations: sig.annotations,
  });
  return new Uint8Array(
    Buffer.concat([Buffer.from([0]), Buffer.from(`${sigstoreFormatName}\n`), Buffer.from(json)]),
  );
}

// OpenPGP packet tags a simple signature starts with (compressed data, one-pass signature, signature; old and new
// formats), as containers/image `internal/signature/signature.go` recognises them.
const openPgpFirstBytes = new Set([
  0xa0, 0xa1, 0xa2, 0xa3, 0xc8, 0x90, 0x91, 0x92, 0x3d, 0xc4, 0x88, 0x89, 0x8a, 0x8b, 0xc2,
]);

/** The inverse of `encodeSignatureBlob`; an unknown format is an `InvalidInputError`. */
export function decodeSignatureBlob(blob: Uint8Array, what = 'signature'): ImageSignature {
  const first = blob[0];
  if (first === undefined) throw new InvalidInputError('SIGNATURE_INVALID', `${what}: empty`);
  if (openPgpFirstBytes.has(first)) return { format: 'simple-signing', blob };
  if (first !== 0) {
    throw new InvalidInputError(
      'SIGNATURE_INVALID',
      `${what}: unrecognized signature format, starting with 0x${first.toString(16)}`,
    );
  }
  const nl = blob.indexOf(0x0a);
  if (nl < 0)
    throw new InvalidInputError('SIGNATURE_INVALID', `${what}: invalid signature format, missing newline`);
  const name = Buffer.from(blob.subarray(1, nl)).toString('latin1');
  if (!/^[\x20-\x7e]*$/.test(name))
    throw new InvalidInputError('SIGNATURE_INVALID', `${what}: non-ASCII format name`);
  const rest = blob.subarray(nl + 1);
  if (name === 'simple-signing') return { format: 'simple-signing', blob: rest };
  if (name !== sigstoreFormatName)
    throw new InvalidInputError(
      'SIGNATURE_INVALID',
      `${what}: unrecognized signature format ${JSON.stringify(name)}`,
    );
  const v = parseStrictJson(new TextDecoder().decode(rest), what);
  if (!isJsonObject(v) || typeof v.mimeType !== 'string' || typeof v.payload !== 'string')
    throw new InvalidInputError('SIGNATURE_INVALID', `${what}: not a sigstore signature`);
  const annotations: Record<string, string> = {};
  if (isJsonObject(v.annotations))
    for (const [k, x] of Object.entries(v.annotations)) if (typeof x === 'string') annotations[k] = x;
  return {
    format: 'sigstore',
    mimeType: v.mimeType,
    payload: new Uint8Array(Buffer.from(v.payload, 'base64')),
    annotations,
  };
}
