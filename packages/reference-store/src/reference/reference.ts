import { type Digest, InvalidInputError, parseDigest } from '@lading/digest';

/** Where an image lives: `registry/repository[:tag][@digest]`. `registry` is '' only for an unnormalised name. */
export interface Reference {
  readonly registry: string;
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: Digest;
}

export const defaultRegistry = 'docker.io';
const legacyDefaultRegistry = 'index.docker.io';
const officialRepoPrefix = 'library/';
export const defaultTag = 'latest';
export const nameTotalLengthMax = 255;
const maxPort = 65535;

// The distribution reference grammar (distribution/reference regexp.go), written out.
const alphanumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const domainNameComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainName = `${domainNameComponent}(?:\\.${domainNameComponent})*`;
const ipv6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const host = `(?:${domainName}|${ipv6})`;
const domainAndPort = `${host}(?::[0-9]+)?`;
const tagPattern = '[\\w][\\w.-]{0,127}';
const digestPattern = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const name = `(?:${domainAndPort}/)?${remoteName}`;

const referenceRe = new RegExp(`^(${name})(?::(${tagPattern}))?(?:@(${digestPattern}))?$`);
const domainRe = new RegExp(`^${domainAndPort}$`);
const pathComponentRe = new RegExp(`^${pathComponent}$`);
const tagRe = new RegExp(`^${tagPattern}$`);
const imageIdRe = /^[a-f0-9]{64}$/;

function invalidRef(code: string, input: string, why: string): InvalidInputError {
  return new InvalidInputError(
    code,
    `invalid reference ${JSON.stringify(input)}: ${why} (e.g. registry.example:5000/team/app:1.0 or ubuntu@sha256:…)`,
  );
}

/** A 64-hex string, which Docker refuses as a name because it reads as an image ID. */
export function isImageIdLike(s: string): boolean {
  return imageIdRe.test(s);
}

/** Says which part of a reference that failed the grammar is wrong. */
function diagnose(input: string, shown: string): InvalidInputError {
  const invalid = (code: string, _input: string, why: string) => invalidRef(code, shown, why);
  if (input === '') return invalid('REFERENCE_EMPTY', input, 'the name is empty');
  if (referenceRe.test(input.toLowerCase())) {
    return invalid('REFERENCE_UPPERCASE', input, 'the repository name must be lowercase');
  }
  let rest = input;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const d = rest.slice(at + 1);
    if (!new RegExp(`^${digestPattern}$`).test(d)) {
      return invalid(
        'REFERENCE_DIGEST_INVALID',
        input,
        `the digest ${JSON.stringify(d)} is not algorithm:hex`,
      );
    }
    rest = rest.slice(0, at);
  }
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > slash) {
    const t = rest.slice(colon + 1);
    if (!tagRe.test(t)) {
      return invalid(
        'REFERENCE_TAG_INVALID',
        input,
        `the tag ${JSON.stringify(t)} must be 1 to 128 of [A-Za-z0-9_.-], not starting with . or -`,
      );
    }
    rest = rest.slice(0, colon);
  }
  const parts = rest.split('/');
  if (parts.length > 1 && !pathComponentRe.test(parts[0] as string) && !domainRe.test(parts[0] as string)) {
    return invalid(
      'REFERENCE_DOMAIN_INVALID',
      input,
      `the registry ${JSON.stringify(parts[0])} is not a host[:port]`,
    );
  }
  const path =
    parts.length > 1 && domainRe.test(parts[0] as string) && !pathComponentRe.test(parts[0] as string)
      ? parts.slice(1)
      : parts;
  const bad = path.find((p) => !pathComponentRe.test(p));
  if (bad !== undefined) {
    return invalid(
      'REFERENCE_PATH_INVALID',
      input,
      `the path component ${JSON.stringify(bad)} must be lowercase letters and digits joined by ".", "_", "__" or "-"`,
    );
  }
  return invalid('REFERENCE_INVALID', input, 'it does not match the reference grammar');
}

/**
 * Parses a reference as written, without Docker's normalisation (distribution's `Parse`): `registry` is the domain
 * when the first component is one (contains `.` or `:`, or is `localhost`), else ''.
 */
export function parseReference(input: string): Reference {
  return parseShown(input, input);
}

function parseShown(input: string, shown: string): Reference {
  const invalid = (code: string, _input: string, why: string) => invalidRef(code, shown, why);
  if (typeof input !== 'string') throw invalid('REFERENCE_INVALID', String(input), 'not a string');
  const m = referenceRe.exec(input);
  if (!m) throw diagnose(input, shown);
  const fullName = m[1] as string;
  if (fullName.length > nameTotalLengthMax) {
    throw invalid(
      'REFERENCE_TOO_LONG',
      input,
      `the repository name is longer than ${nameTotalLengthMax} characters`,
    );
  }
  let digest: Digest | undefined;
  if (m[3] !== undefined) {
    try {
      digest = parseDigest(m[3]);
    } catch (e) {
      throw invalid('REFERENCE_DIGEST_INVALID', input, (e as Error).message);
    }
  }
  const { registry, repository } = splitDomain(fullName, { normalize: false });
  // The grammar takes any run of digits as a port (distribution's does too); a URL cannot be made of one above 65535.
  const port = /:(\d+)$/.exec(registry)?.[1];
  if (port !== undefined && Number(port) > maxPort) {
    throw invalid('REFERENCE_PORT_INVALID', input, `the registry port ${port} is above ${maxPort}`);
  }
  return {
    registry,
    repository,
    ...(m[2] !== undefined ? { tag: m[2] } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}

function splitDomain(
  fullName: string,
  options: { normalize: boolean },
): { registry: string; repository: string } {
  const i = fullName.indexOf('/');
  const first = i < 0 ? '' : fullName.slice(0, i);
  const isDomain = i >= 0 && (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first);
  if (!options.normalize)
    return isDomain
      ? { registry: first, repository: fullName.slice(i + 1) }
      : { registry: '', repository: fullName };
  let registry = isDomain ? first : defaultRegistry;
  let repository = isDomain ? fullName.slice(i + 1) : fullName;
  if (registry === legacyDefaultRegistry) registry = defaultRegistry;
  if (registry === defaultRegistry && !repository.includes('/')) repository = officialRepoPrefix + repository;
  return { registry, repository };
}

/**
 * Parses a reference with Docker's normalisation (distribution's `ParseNormalizedNamed`): `ubuntu` ->
 * `docker.io/library/ubuntu`, `index.docker.io` -> `docker.io`. No default tag is added: see `withDefaultTag`.
 */
export function parseNormalizedReference(input: string): Reference {
  const invalid = invalidRef;
  if (typeof input !== 'string') throw invalid('REFERENCE_INVALID', String(input), 'not a string');
  if (input === '') throw invalid('REFERENCE_EMPTY', input, 'the name is empty');
  if (isImageIdLike(input)) {
    throw invalid(
      'REFERENCE_IMAGE_ID',
      input,
      'a 64-character hex string is an image ID, not a repository name',
    );
  }
  const { registry, repository: remainder } = splitDomain(input, { normalize: true });
  const tagSep = remainder.indexOf(':');
  const remote = tagSep < 0 ? remainder : remainder.slice(0, tagSep);
  if (remote.toLowerCase() !== remote) {
    throw invalid(
      'REFERENCE_UPPERCASE',
      input,
      `the repository name ${JSON.stringify(remote)} must be lowercase`,
    );
  }
  // The normalised form goes through the full grammar (tag, digest, length).
  return parseShown(`${registry}/${remainder}`, input);
}

/** `name:latest` for a reference with neither tag nor digest (Docker's TagNameOnly). */
export function withDefaultTag(ref: Reference): Reference {
  return ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: defaultTag } : ref;
}

/** `registry/repository`, or the bare repository of an unnormalised name. */
export function referenceName(ref: Reference): string {
  return ref.registry === '' ? ref.repository : `${ref.registry}/${ref.repository}`;
}

export function formatReference(ref: Reference): string {
  return `${referenceName(ref)}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** The short name Docker shows: `docker.io/library/ubuntu` -> `ubuntu`, `docker.io/foo/bar` -> `foo/bar`. */
export function familiarName(ref: Reference): string {
  if (ref.registry !== defaultRegistry) return referenceName(ref);
  const r = ref.repository;
  return r.startsWith(officialRepoPrefix) && !r.slice(officialRepoPrefix.length).includes('/')
    ? r.slice(officialRepoPrefix.length)
    : r;
}

export function familiarString(ref: Reference): string {
  return `${familiarName(ref)}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** `name@digest`: the canonical form naming exact content (the tag is dropped). */
export function canonicalReference(ref: Reference, digest: Digest): Reference {
  return { registry: ref.registry, repository: ref.repository, digest };
}

/** The host to talk to for a registry name: Docker Hub's API lives on registry-1.docker.io. */
export function registryApiHost(registry: string): string {
  return registry === defaultRegistry || registry === legacyDefaultRegistry
    ? 'registry-1.docker.io'
    : registry;
}

/** localhost, 127.0.0.0/8 and ::1, with or without a port: where Docker allows plain HTTP. */
export function isLocalhost(registry: string): boolean {
  const hostOnly = registry.startsWith('[')
    ? registry.slice(0, registry.indexOf(']') + 1)
    : registry.split(':')[0];
  return hostOnly === 'localhost' || hostOnly === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(hostOnly ?? '');
}
