import { InvalidInputError } from '@lading/digest';
import {
  formatReference,
  parseNormalizedReference,
  parseReference,
  type Reference,
  referenceName,
} from '@lading/reference-store/reference';

/**
 * Which names a signature may carry for an image: the `signedIdentity` of containers-policy.json(5), with the
 * semantics of containers/image `signature/policy_reference_match.go`.
 */
export type SignedIdentity =
  | { readonly type: 'matchExact' }
  | { readonly type: 'matchRepoDigestOrExact' }
  | { readonly type: 'matchRepository' }
  | { readonly type: 'exactReference'; readonly dockerReference: string }
  | { readonly type: 'exactRepository'; readonly dockerRepository: string }
  | { readonly type: 'remapIdentity'; readonly prefix: string; readonly signedPrefix: string };

function tryParse(s: string): Reference | undefined {
  try {
    return parseNormalizedReference(s);
  } catch {
    return undefined;
  }
}

const nameOnly = (r: Reference) => r.tag === undefined && r.digest === undefined;

/** A tagged intended name wants exactly that name signed; a digested one, any name of the same repository. */
function repoDigestOrExact(intended: Reference, signed: Reference): boolean {
  if (nameOnly(signed)) return false;
  if (intended.tag !== undefined) return formatReference(signed) === formatReference(intended);
  if (intended.digest !== undefined) return referenceName(signed) === referenceName(intended);
  return false;
}

function matchesPrefix(name: string, prefix: string): boolean {
  return name === prefix || (name.startsWith(prefix) && name[prefix.length] === '/');
}

/**
 * Whether `signedReference` (from a signature) is acceptable for the image known as `imageReference`
 * (undefined when the image has no registry name, e.g. an OCI layout: only the exact* rules can match then).
 */
export function identityMatches(
  rule: SignedIdentity,
  imageReference: string | undefined,
  signedReference: string,
): boolean {
  const signed = tryParse(signedReference);
  if (signed === undefined) return false;
  switch (rule.type) {
    case 'exactReference': {
      const want = tryParse(rule.dockerReference);
      return (
        want !== undefined &&
        !nameOnly(want) &&
        !nameOnly(signed) &&
        formatReference(want) === formatReference(signed)
      );
    }
    case 'exactRepository': {
      const want = tryParse(rule.dockerRepository);
      return want !== undefined && referenceName(want) === referenceName(signed);
    }
    default:
      break;
  }
  const intended = imageReference === undefined ? undefined : tryParse(imageReference);
  if (intended === undefined) return false;
  switch (rule.type) {
    case 'matchExact':
      return (
        !nameOnly(intended) && !nameOnly(signed) && formatReference(intended) === formatReference(signed)
      );
    case 'matchRepoDigestOrExact':
      return repoDigestOrExact(intended, signed);
    case 'matchRepository':
      return referenceName(intended) === referenceName(signed);
    case 'remapIdentity': {
      let remapped = intended;
      if (matchesPrefix(referenceName(intended), rule.prefix)) {
        try {
          remapped = parseReference(formatReference(intended).replace(rule.prefix, rule.signedPrefix));
        } catch {
          return false;
        }
      }
      return repoDigestOrExact(remapped, signed);
    }
  }
}

/** Parses a `signedIdentity` object of policy.json strictly (unknown keys are errors, as containers/image's are). */
export function parseSignedIdentity(v: unknown): SignedIdentity {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new InvalidInputError('POLICY_INVALID', 'signedIdentity must be a JSON object');
  const o = v as Record<string, unknown>;
  const fields = (...allowed: string[]) => {
    for (const k of Object.keys(o))
      if (k !== 'type' && !allowed.includes(k))
        throw new InvalidInputError('POLICY_INVALID', `Unknown key "${k}"`);
    for (const k of allowed)
      if (typeof o[k] !== 'string' || o[k] === '')
        throw new InvalidInputError(
          'POLICY_INVALID',
          `signedIdentity ${String(o.type)} needs a "${k}" string`,
        );
  };
  switch (o.type) {
    case 'matchExact':
    case 'matchRepoDigestOrExact':
    case 'matchRepository':
      fields();
      return { type: o.type };
    case 'exactReference': {
      fields('dockerReference');
      const ref = tryParse(o.dockerReference as string);
      if (ref === undefined || nameOnly(ref))
        throw new InvalidInputError(
          'POLICY_INVALID',
          `dockerReference ${String(o.dockerReference)} must name a tag or digest`,
        );
      return { type: 'exactReference', dockerReference: o.dockerReference as string };
    }
    case 'exactRepository':
      fields('dockerRepository');
      if (tryParse(o.dockerRepository as string) === undefined)
        throw new InvalidInputError(
          'POLICY_INVALID',
          `invalid dockerRepository ${String(o.dockerRepository)}`,
        );
      return { type: 'exactRepository', dockerRepository: o.dockerRepository as string };
    case 'remapIdentity':
      fields('prefix', 'signedPrefix');
      return { type: 'remapIdentity', prefix: o.prefix as string, signedPrefix: o.signedPrefix as string };
    default:
      throw new InvalidInputError('POLICY_INVALID', `Unknown signedIdentity type ${JSON.stringify(o.type)}`);
  }
}
