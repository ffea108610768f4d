import { type Digest, InvalidInputError, isDigest, parseDigest } from '@lading/digest';
import { isJsonObject, parseStrictJson } from './strict-json.js';

/** `critical.type` of a simple signature (containers-signature(5)), signed with OpenPGP. */
export const atomicSignatureType = 'atomic container signature';
/** `critical.type` of a cosign signature payload (what cosign and containers/image's sigstore code read). */
export const cosignSignatureType = 'cosign container image signature';

export type PayloadType = typeof atomicSignatureType | typeof cosignSignatureType;

export interface SignaturePayload {
  readonly type: PayloadType;
  readonly manifestDigest: Digest;
  /** The image's name as signed, e.g. `registry.example/app:1`. */
  readonly dockerReference: string;
  readonly creator?: string;
  /** Seconds since 1970. */
  readonly timestamp?: number;
}

export interface PayloadOptions {
  readonly creator?: string;
  /** Default: now. */
  readonly timestamp?: number;
}

/**
 * The payload bytes, as containers/image marshals them (`signature/simple.go`, `signature/internal/sigstore_payload.go`):
 * Go's map order (sorted keys), `optional` with creator and an integer timestamp.
 */
export function encodePayload(
  type: PayloadType,
  manifestDigest: Digest,
  dockerReference: string,
  options: PayloadOptions = {},
): Uint8Array {
  if (dockerReference === '')
    throw new InvalidInputError('SIGNATURE_NO_REFERENCE', 'a signature needs the image reference');
  const optional: Record<string, unknown> = {
    creator: options.creator ?? 'lading',
    timestamp: options.timestamp ?? Math.floor(Date.now() / 1000),
  };
  const value = {
    critical: {
      identity: { 'docker-reference': dockerReference },
      image: { 'docker-manifest-digest': manifestDigest },
      type,
    },
    optional,
  };
  return new TextEncoder().encode(JSON.stringify(value));
}

function exactFields(v: unknown, fields: readonly string[], what: string): Record<string, unknown> {
  if (!isJsonObject(v)) throw invalid(`${what} is not a JSON object`);
  for (const k of Object.keys(v)) if (!fields.includes(k)) throw invalid(`${what}: unknown key "${k}"`);
  for (const k of fields) if (!(k in v)) throw invalid(`${what}: key "${k}" missing`);
  return v;
}

function invalid(message: string): InvalidInputError {
  return new InvalidInputError('SIGNATURE_PAYLOAD_INVALID', `invalid signature payload: ${message}`);
}

/**
 * Parses a payload with containers/image's strictness: exactly the critical fields, no duplicate keys, the type
 * expected, an integer timestamp. What it returns is still untrusted until the signature over it is verified.
 */
export function decodePayload(bytes: Uint8Array, expectedType: PayloadType): SignaturePayload {
  const root = exactFields(
    parseStrictJson(new TextDecoder('utf-8', { fatal: false }).decode(bytes), 'signature payload'),
    ['critical', 'optional'],
    'the payload',
  );
  const critical = exactFields(root.critical, ['type', 'image', 'identity'], '"critical"');
  if (critical.type !== expectedType) {
    throw invalid(`unrecognized signature type ${JSON.stringify(critical.type)}, expected "${expectedType}"`);
  }
  const image = exactFields(critical.image, ['docker-manifest-digest'], '"critical.image"');
  const identity = exactFields(critical.identity, ['docker-reference'], '"critical.identity"');
  const digest = image['docker-manifest-digest'];
  const reference = identity['docker-reference'];
  if (typeof digest !== 'string' || !isDigest(digest))
    throw invalid('"docker-manifest-digest" is not a digest');
  if (typeof reference !== 'string') throw invalid('"docker-reference" is not a string');
  const out: { -readonly [K in keyof SignaturePayload]: SignaturePayload[K] } = {
    type: expectedType,
    manifestDigest: parseDigest(digest),
    dockerReference: reference,
  };
  // cosign writes "optional": null when there are no annotations
  if (root.optional !== null) {
    if (!isJsonObject(root.optional)) throw invalid('"optional" is not a JSON object');
    const { creator, timestamp } = root.optional;
    if (creator !== undefined) {
      if (typeof creator !== 'string') throw invalid('"optional.creator" is not a string');
      out.creator = creator;
    }
    if (timestamp !== undefined) {
      if (typeof timestamp !== 'number' || !Number.isInteger(timestamp))
        throw invalid('"optional.timestamp" is not an integer');
      out.timestamp = timestamp;
    }
  }
  return out;
}
