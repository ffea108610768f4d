import { requireSize, requireLabels as requireStoreLabels } from '@lading/content-store';
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

/** An identifier as containerd accepts it, or InvalidInputError `code` with the message `why` gives for it. */
function requireIdentifier(value: unknown, code: string, why: (shown: string) => string): string {
  if (typeof value !== 'string' || !isIdentifier(value))
    throw new InvalidInputError(code, why(JSON.stringify(value)));
  return value;
}

export function requireLeaseId(id: unknown): string {
  return requireIdentifier(
    id,
    'LEASE_ID_INVALID',
    (shown) =>
      `invalid lease id ${shown}: containerd takes 1-76 letters and digits, joined by single . _ or -`,
  );
}

/** A namespace name as containerd accepts it; checked before the first call so the message can say why. */
export function requireNamespace(namespace: unknown): string {
  return requireIdentifier(
    namespace,
    'NAMESPACE_INVALID',
    (shown) =>
      `invalid containerd namespace ${shown}: use 1-76 letters and digits, joined by single . _ or - (e.g. default, k8s.io)`,
  );
}

/** Labels as containerd's `labels.Validate` takes them: key and value together at most 4096 bytes. */
export function requireLabels(labels: unknown): Readonly<Record<string, string>> {
  return requireStoreLabels(labels, { unit: 'bytes' });
}

/** A size: a non-negative safe integer (the content store's check). */
export { requireSize };
