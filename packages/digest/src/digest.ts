import { InvalidInputError } from './errors.js';

declare const digestBrand: unique symbol;
/** `algorithm:encoded`, made only by `parseDigest` or by hashing. */
export type Digest = string & { readonly [digestBrand]: true };

export type Algorithm = 'sha256' | 'sha512' | 'blake3';

/** Encoded forms of the algorithms we compute. Other registered-looking algorithms parse but cannot be verified. */
const known: Record<Algorithm, RegExp> = {
  sha256: /^[a-f0-9]{64}$/,
  sha512: /^[a-f0-9]{128}$/,
  blake3: /^[a-f0-9]{64}$/,
};

// OCI image-spec descriptor.md: algorithm-component (separator algorithm-component)* ":" encoded
const grammar = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;

export function isKnownAlgorithm(alg: string): alg is Algorithm {
  return Object.hasOwn(known, alg);
}

/**
 * Parses a digest string. The grammar is the image spec's; for the algorithms we know the encoded part must have
 * the registered length and alphabet (lowercase hex). Unknown algorithms are refused unless `allowUnknown`.
 */
export function parseDigest(input: string, options: { allowUnknown?: boolean } = {}): Digest {
  if (typeof input !== 'string') {
    throw new InvalidInputError('DIGEST_INVALID', `invalid digest: expected a string, got ${typeof input}`);
  }
  const m = grammar.exec(input);
  if (!m) {
    throw new InvalidInputError(
      'DIGEST_INVALID',
      `invalid digest ${JSON.stringify(truncate(input))}: expected "algorithm:encoded", e.g. "sha256:" and 64 hex characters`,
    );
  }
  const alg = m[1] as string;
  const encoded = m[2] as string;
  if (isKnownAlgorithm(alg)) {
    if (!known[alg].test(encoded)) {
      const want = alg === 'sha512' ? 128 : 64;
      throw new InvalidInputError(
        'DIGEST_INVALID',
        `invalid ${alg} digest ${JSON.stringify(truncate(input))}: the encoded part must be ${want} lowercase hex characters (got ${encoded.length})`,
      );
    }
  } else if (!options.allowUnknown) {
    throw new InvalidInputError(
      'DIGEST_UNSUPPORTED',
      `unsupported digest algorithm ${JSON.stringify(alg)} in ${JSON.stringify(truncate(input))}: lading verifies sha256, sha512 and blake3`,
    );
  }
  return input as Digest;
}

export function isDigest(input: unknown): input is Digest {
  if (typeof input !== 'string') return false;
  try {
    parseDigest(input);
    return true;
  } catch {
    return false;
  }
}

export function digestAlgorithm(d: Digest): Algorithm {
  return d.slice(0, d.indexOf(':')) as Algorithm;
}

export function digestEncoded(d: Digest): string {
  return d.slice(d.indexOf(':') + 1);
}

/** Builds a digest from parts that were just computed (no validation beyond the parse). */
export function makeDigest(alg: Algorithm, hex: string): Digest {
  return parseDigest(`${alg}:${hex}`);
}

function truncate(s: string): string {
  return s.length > 100 ? `${s.slice(0, 100)}…` : s;
}
