import { type Digest, digestEncoded, InvalidInputError } from '@lading/digest';
import { compactJson, goEscape } from '@lading/image-config';

/** in-toto's statement type as BuildKit writes it (in-toto-golang's StatementInTotoV01). */
export const statementTypeV01 = 'https://in-toto.io/Statement/v0.1';
/** Statement types a reader accepts: v0.1 and v1 (which newer BuildKit writes). */
export const statementTypes = [statementTypeV01, 'https://in-toto.io/Statement/v1'] as const;
export const PredicateType = {
  spdx: 'https://spdx.dev/Document',
  slsaProvenance02: 'https://slsa.dev/provenance/v0.2',
} as const;
/** The media type of an in-toto attestation blob (a layer of an attestation manifest). */
export const inTotoMediaType = 'application/vnd.in-toto+json';

export interface StatementSubject {
  readonly name: string;
  readonly digest: Readonly<Record<string, string>>;
}

export interface Statement {
  readonly _type: string;
  readonly predicateType: string;
  readonly subject: readonly StatementSubject[];
  readonly predicate: unknown;
}

/**
 * A statement's bytes as BuildKit writes them (exporter/attestation/make.go, then json.Marshal of in-toto-golang's
 * Statement): `_type`, `predicateType`, `subject`, then the predicate compacted, HTML characters escaped as Go does.
 */
export function encodeStatement(
  predicateType: string,
  subjects: readonly { readonly name: string; readonly digest: Digest }[],
  predicate: Uint8Array,
): Uint8Array {
  const subject = subjects.map(
    (s) =>
      `{"name":${JSON.stringify(s.name)},"digest":{"sha256":${JSON.stringify(digestEncoded(s.digest))}}}`,
  );
  const body = compactJson(new TextDecoder().decode(predicate));
  const text = `{"_type":${JSON.stringify(statementTypeV01)},"predicateType":${JSON.stringify(predicateType)},"subject":[${subject.join(',')}],"predicate":${body}}`;
  return new TextEncoder().encode(goEscape(text));
}

/** Parses and checks an in-toto statement read from an image: a typed error for anything that is not one. */
export function decodeStatement(bytes: Uint8Array, where: string): Statement {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new InvalidInputError(
      'ATTESTATION_BAD_JSON',
      `${where}: not a JSON in-toto statement (truncated or corrupt): ${(cause as Error).message}`,
      { cause },
    );
  }
  const s = value as Partial<Statement> | null;
  if (s === null || typeof s !== 'object' || Array.isArray(s))
    throw new InvalidInputError(
      'ATTESTATION_NOT_STATEMENT',
      `${where}: not an in-toto statement (not an object)`,
    );
  if (!statementTypes.includes(s._type as (typeof statementTypes)[number]))
    throw new InvalidInputError(
      'ATTESTATION_NOT_STATEMENT',
      `${where}: _type ${JSON.stringify(s._type)} is not an in-toto statement type`,
    );
  if (typeof s.predicateType !== 'string' || s.predicateType === '')
    throw new InvalidInputError(
      'ATTESTATION_NO_PREDICATE_TYPE',
      `${where}: the statement has no predicateType`,
    );
  if (
    !Array.isArray(s.subject) ||
    s.subject.some(
      (x) =>
        x === null ||
        typeof x !== 'object' ||
        typeof x.name !== 'string' ||
        x.digest === null ||
        typeof x.digest !== 'object' ||
        Object.values(x.digest).some((d) => typeof d !== 'string'),
    )
  )
    throw new InvalidInputError(
      'ATTESTATION_BAD_SUBJECT',
      `${where}: the statement's subject is not a list of {name, digest}`,
    );
  if (s.predicate === undefined || s.predicate === null || typeof s.predicate !== 'object')
    throw new InvalidInputError(
      'ATTESTATION_NO_PREDICATE',
      `${where}: the statement has no predicate object`,
    );
  return s as Statement;
}
