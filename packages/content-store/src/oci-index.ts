import { InvalidInputError } from '@lading/digest';
import type { OciIndex } from './types.js';
import { requireDigest } from './validate.js';

/** The index of a store that names nothing yet. */
export function emptyIndex(): OciIndex {
  return { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] };
}

/** Checks the shape of an index before it replaces a store's (both stores call it on every update). */
export function validateIndex(value: unknown): OciIndex {
  if (typeof value !== 'object' || value === null) {
    throw new InvalidInputError(
      'INDEX_INVALID',
      'index must be an object with schemaVersion 2 and a manifests array',
    );
  }
  const v = value as Record<string, unknown>;
  if (v.schemaVersion !== 2 || !Array.isArray(v.manifests)) {
    throw new InvalidInputError('INDEX_INVALID', 'index must have schemaVersion 2 and a manifests array');
  }
  for (const m of v.manifests as unknown[]) {
    const d = m as Record<string, unknown>;
    if (
      typeof m !== 'object' ||
      m === null ||
      typeof d.mediaType !== 'string' ||
      typeof d.size !== 'number'
    ) {
      throw new InvalidInputError('INDEX_INVALID', 'every index entry needs mediaType, digest and size');
    }
    requireDigest(d.digest);
  }
  return value as OciIndex;
}
