import { type Digest, InvalidInputError, parseDigest } from '@lading/digest';

/** Parses a digest before any call: bad strings are InvalidInputError, as in every lading store. */
export function requireDigest(value: unknown, what = 'digest'): Digest {
  if (typeof value !== 'string') {
    throw new InvalidInputError('DIGEST_INVALID', `invalid ${what}: expected a string, got ${typeof value}`);
  }
  return parseDigest(value);
}

/** containerd's content store hashes with sha256 only (content/local's digester is digest.Canonical). */
export function requireSha256(digest: Digest, what = 'digest'): Digest {
  if (!digest.startsWith('sha256:')) {
    throw new InvalidInputError(
      'DIGEST_ALGORITHM_UNSUPPORTED',
      `${what} ${digest}: containerd's content store holds sha256 content only`,
    );
  }
  return digest;
}

export function requireRef(ref: unknown): string {
  if (typeof ref !== 'string' || ref.length === 0 || ref.length > 1024) {
    throw new InvalidInputError(
      'INGEST_REF_INVALID',
      `invalid ingest ref ${JSON.stringify(ref)}: expected a non-empty string of at most 1024 characters`,
    );
  }
  return ref;
}

// containerd's identifiers.Validate (namespaces, leases): alphanumerics joined by single . _ -, at most 76 long.
const identifier = /^[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*$/;

export function isIdentifier(value: string): boolean {
  return value.length > 0 && value.length <= 76 && identifier.test(value);
}

export function requireLeaseId(id: unknown): string {
  if (typeof id !== 'string' || !isIdentifier(id)) {
    throw new InvalidInputError(
      'LEASE_ID_INVALID',
      `invalid lease id ${JSON.stringify(id)}: containerd takes 1-76 letters and digits, joined by single . _ or -`,
    );
  }
  return id;
}

/** A namespace name as containerd accepts it; checked before the first call so the message can say why. */
export function requireNamespace(namespace: unknown): string {
  if (typeof namespace !== 'string' || !isIdentifier(namespace)) {
    throw new InvalidInputError(
      'NAMESPACE_INVALID',
      `invalid containerd namespace ${JSON.stringify(namespace)}: use 1-76 letters and digits, joined by single . _ or - (e.g. default, k8s.io)`,
    );
  }
  return namespace;
}

export function requireLabels(labels: unknown): Readonly<Record<string, string>> {
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
    throw new InvalidInputError('LABELS_INVALID', 'labels must be an object of string values');
  }
  for (const [k, v] of Object.entries(labels)) {
    // containerd's labels.Validate: key and value together at most 4096 bytes.
    if (k.length === 0 || typeof v !== 'string' || Buffer.byteLength(k) + Buffer.byteLength(v) > 4096) {
      throw new InvalidInputError(
        'LABELS_INVALID',
        `invalid label ${JSON.stringify(k)}: keys must be non-empty, values strings, key+value at most 4096 bytes`,
      );
    }
  }
  return labels as Record<string, string>;
}

export function requireSize(size: unknown, what = 'size'): number {
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new InvalidInputError(
      'SIZE_INVALID',
      `invalid ${what} ${String(size)}: expected a non-negative integer`,
    );
  }
  return size;
}
