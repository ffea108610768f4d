import { type Digest, InvalidInputError, parseDigest } from '@lading/digest';

/**
 * Where an image lives. Stopgap: parsing moves to `@lading/reference-store/reference` once it lands; the shape is
 * the one DESIGN §3 names, so callers may pass either.
 */
export interface ImageReference {
  readonly registry: string;
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: Digest;
}

const component = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const tagRe = /^[\w][\w.-]{0,127}$/;

/** `host[:port]/path[:tag][@digest]`, with Docker's normalisation (`ubuntu` -> `docker.io/library/ubuntu`). */
export function parseImageReference(input: string): ImageReference {
  const bad = (why: string) =>
    new InvalidInputError(
      'BAD_REFERENCE',
      `"${input}" is not an image reference: ${why} (example: registry.example:5000/team/app:1.0)`,
    );
  let rest = input.trim();
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    try {
      digest = parseDigest(rest.slice(at + 1));
    } catch (err) {
      throw bad(`bad digest (${(err as Error).message})`);
    }
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!tagRe.test(tag)) throw bad(`bad tag "${tag}"`);
  }
  const parts = rest.split('/');
  let registry = 'docker.io';
  const first = parts[0] ?? '';
  if (
    parts.length > 1 &&
    (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase())
  ) {
    registry = first;
    parts.shift();
  }
  if (registry === 'index.docker.io') registry = 'docker.io';
  if (registry === 'docker.io' && parts.length === 1) parts.unshift('library');
  if (parts.length === 0 || parts.some((p) => !component.test(p)))
    throw bad('bad repository name (lower case, digits, ._- separators)');
  const repository = parts.join('/');
  return {
    registry,
    repository,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}

export function formatImageReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

export function toImageReference(ref: string | ImageReference): ImageReference {
  return typeof ref === 'string' ? parseImageReference(ref) : ref;
}
