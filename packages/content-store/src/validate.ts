import { checkHash, type Digest, IntegrityError, InvalidInputError, parseDigest } from '@lading/digest';
import type { Expectation } from './types.js';

/** Parses a digest handed to a store; bad strings become `InvalidInputError` before any I/O. */
export function requireDigest(value: unknown, what = 'digest'): Digest {
  if (typeof value !== 'string') {
    throw new InvalidInputError('DIGEST_INVALID', `invalid ${what}: expected a string, got ${typeof value}`);
  }
  return parseDigest(value);
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

const leaseIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function requireLeaseId(id: unknown): string {
  if (typeof id !== 'string' || !leaseIdPattern.test(id)) {
    throw new InvalidInputError(
      'LEASE_ID_INVALID',
      `invalid lease id ${JSON.stringify(id)}: use 1-128 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit`,
    );
  }
  return id;
}

/**
 * Labels as a store takes them: non-empty keys, string values, key and value together at most 4096 characters, or
 * with `unit: 'bytes'` 4096 bytes of UTF-8 (containerd's `labels.Validate`).
 */
export function requireLabels(
  labels: unknown,
  options: { readonly unit?: 'characters' | 'bytes' } = {},
): Readonly<Record<string, string>> {
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
    throw new InvalidInputError('LABELS_INVALID', 'labels must be an object of string values');
  }
  const unit = options.unit ?? 'characters';
  const length = unit === 'bytes' ? (s: string) => Buffer.byteLength(s) : (s: string) => s.length;
  for (const [k, v] of Object.entries(labels)) {
    if (k.length === 0 || typeof v !== 'string' || length(k) + length(v) > 4096) {
      throw new InvalidInputError(
        'LABELS_INVALID',
        `invalid label ${JSON.stringify(k)}: keys must be non-empty, values strings, key+value at most 4096 ${unit}`,
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

export function normalizeExpectation(e: Expectation | undefined): Expectation {
  if (e === undefined) return {};
  const out: { digest?: Digest; size?: number } = {};
  if (e.digest !== undefined) out.digest = requireDigest(e.digest, 'expected digest');
  if (e.size !== undefined) out.size = requireSize(e.size, 'expected size');
  return out;
}

/** Merges the writer's and the commit's expectations (the commit's win) and checks the actual content. */
export function checkExpectation(
  actual: { readonly digest: Digest; readonly size: number },
  expected: Expectation,
  ref: string,
): void {
  const what = `ingest ${JSON.stringify(ref)}`;
  if (expected.digest !== undefined) {
    checkHash(actual, { digest: expected.digest, ...sizeOf(expected) }, what);
  } else if (expected.size !== undefined && expected.size !== actual.size) {
    throw new IntegrityError('SIZE_MISMATCH', `${what} has ${actual.size} bytes, expected ${expected.size}`, {
      expected: String(expected.size),
      actual: String(actual.size),
    });
  }
}

function sizeOf(e: Expectation): { size?: number } {
  return e.size === undefined ? {} : { size: e.size };
}

/** Applies a label update: an empty value removes the label. */
export function applyLabels(
  current: Readonly<Record<string, string>>,
  update: Readonly<Record<string, string>>,
): Record<string, string> {
  const next: Record<string, string> = { ...current };
  for (const [k, v] of Object.entries(update)) {
    if (v === '') delete next[k];
    else next[k] = v;
  }
  return next;
}

/** Whether labels pass a walk filter: every filter key present, with its value or `*` for any value. */
export function labelsMatch(
  labels: Readonly<Record<string, string>>,
  filter: Readonly<Record<string, string>> | undefined,
): boolean {
  if (!filter) return true;
  for (const [k, v] of Object.entries(filter)) {
    if (!Object.hasOwn(labels, k)) return false;
    if (v !== '*' && labels[k] !== v) return false;
  }
  return true;
}
