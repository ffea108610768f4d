import { type Provider, readBlob } from '@lading/content-store';
import {
  type Descriptor,
  digestEncoded,
  IntegrityError,
  InvalidInputError,
  isIndexMediaType,
  type Platform,
} from '@lading/digest';
import { AttestationAnnotation, attestationManifestType } from './attestation-manifest.js';
import { decodeStatement, inTotoMediaType, type Statement } from './statement.js';

/** BuildKit limits an attestation it reads to 40 MiB (docs/attestations/attestation-storage.md). */
const maxStatementBytes = 40 << 20;
const maxManifestBytes = 4 << 20;

export interface ImageAttestations {
  /** The image manifest the attestations are about, and its platform in the index. */
  readonly subject: Descriptor;
  readonly platform?: Platform;
  readonly statements: readonly { readonly descriptor: Descriptor; readonly statement: Statement }[];
}

function parse(bytes: Uint8Array, what: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(new TextDecoder().decode(bytes));
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new InvalidInputError('ATTESTATION_BAD_MANIFEST', `${what} is not a JSON object`);
}

/**
 * The attestations an image index carries, read and checked as a reader of BuildKit's attestation storage
 * does: every index entry annotated `vnd.docker.reference.type=attestation-manifest`, its in-toto layers (each
 * verified against its descriptor, at most 40 MiB), each a statement whose predicate type agrees with its
 * annotation and whose subject names the image manifest the entry refers to. Typed errors: a blob that is short
 * or altered (IntegrityError), a statement that is truncated or not one (InvalidInputError).
 */
export async function readImageAttestations(
  provider: Provider,
  root: Descriptor,
  options: { readonly signal?: AbortSignal } = {},
): Promise<ImageAttestations[]> {
  const read = options.signal ? { signal: options.signal } : {};
  const indexBytes = await readBlob(provider, root, { maxBytes: maxManifestBytes, ...read });
  const index = parse(indexBytes, `index ${root.digest}`);
  if (!isIndexMediaType(String(index.mediaType ?? root.mediaType)) || !Array.isArray(index.manifests))
    return [];
  const entries = index.manifests as Descriptor[];
  const out: ImageAttestations[] = [];
  for (const entry of entries) {
    if (entry.annotations?.[AttestationAnnotation.referenceType] !== attestationManifestType) continue;
    const refDigest = entry.annotations?.[AttestationAnnotation.referenceDigest];
    const subject = entries.find((e) => e.digest === refDigest);
    if (refDigest === undefined || subject === undefined) {
      throw new InvalidInputError(
        'ATTESTATION_NO_SUBJECT',
        `attestation manifest ${entry.digest} refers to ${refDigest ?? 'no manifest'}, which the index does not list`,
      );
    }
    const where = `attestation manifest ${entry.digest}`;
    const manifest = parse(await readBlob(provider, entry, { maxBytes: maxManifestBytes, ...read }), where);
    const layers = Array.isArray(manifest.layers) ? (manifest.layers as Descriptor[]) : [];
    const statements = [];
    for (const layer of layers) {
      // Any other media type is to be ignored (attestation-storage.md).
      if (layer.mediaType !== inTotoMediaType) continue;
      const at = `${where}, statement ${layer.digest}`;
      const statement = decodeStatement(
        await readBlob(provider, layer, { maxBytes: maxStatementBytes, ...read }),
        at,
      );
      const annotated = layer.annotations?.[AttestationAnnotation.predicateType];
      if (annotated !== undefined && annotated !== statement.predicateType) {
        throw new InvalidInputError(
          'ATTESTATION_PREDICATE_MISMATCH',
          `${at}: annotated as ${annotated} but its predicateType is ${statement.predicateType}`,
        );
      }
      const hex = digestEncoded(subject.digest);
      if (!statement.subject.some((s) => s.digest.sha256 === hex)) {
        throw new IntegrityError(
          'ATTESTATION_SUBJECT_MISMATCH',
          `${at}: its subject is not ${subject.digest}, the image it is attached to`,
          { expected: subject.digest, actual: statement.subject.map((s) => s.digest.sha256).join(',') },
        );
      }
      statements.push({ descriptor: layer, statement });
    }
    out.push({ subject, ...(subject.platform ? { platform: subject.platform } : {}), statements });
  }
  return out;
}
