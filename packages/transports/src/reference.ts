import { type Digest, InvalidInputError, isDigest, OptionError } from '@lading/digest';
import {
  familiarName,
  familiarString,
  formatReference,
  isImageIdLike,
  parseNormalizedReference,
  withDefaultTag,
} from '@lading/reference-store/reference';

/** An image named with one of the transports of containers-transports(5) that lading speaks. */
export type ImageReference =
  | { transport: 'containers-storage'; name: string } // the app's local storage
  | { transport: 'oci'; dir: string; ref?: string } // oci:DIR[:REF]
  | { transport: 'oci-archive'; file: string; ref?: string } // oci-archive:FILE[:REF]
  | { transport: 'dir'; dir: string } // dir:DIR
  | { transport: 'docker-archive'; file: string; ref?: string } // docker-archive:FILE[:NAME:TAG]
  | { transport: 'docker'; ref: string } // docker://NAME[:TAG|@DIGEST]
  | { transport: 'docker-daemon'; ref: string } // docker-daemon:NAME:TAG or NAME@DIGEST (normalised)
  | { transport: 'docker-daemon'; id: Digest }; // docker-daemon:sha256:<image ID>

export type RemoteReference = Exclude<ImageReference, { transport: 'containers-storage' }>;
export type TransportName = ImageReference['transport'];

/** The transports `parseImageReference` reads, as an error names them. */
export const knownTransports = [
  'containers-storage:',
  'oci:',
  'oci-archive:',
  'dir:',
  'docker-archive:',
  'docker://',
  'docker-daemon:',
] as const;

/** An image name no transport reads: a usage error (exit 2) that names the transports there are. */
function unknownTransport(code: string, message: string): OptionError {
  return new OptionError(code, `${message}; use NAME[:TAG] or one of ${knownTransports.join(' ')}`, {
    key: 'image',
  });
}

/** Transports containers/image knows but lading does not implement: named so the error can say so. */
const unsupportedTransports = new Set(['ostree', 'sif', 'tarball', 'atomic']);

// containers/image's oci/internal refRegexp: components of alphanumerics joined by separators, `/`-separated.
const ociComponent = '[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*';
const ociRefRe = new RegExp(`^${ociComponent}(?:/${ociComponent})*$`);

function invalid(code: string, message: string, cause?: unknown): InvalidInputError {
  return new InvalidInputError(code, message, cause === undefined ? {} : { cause });
}

/** `DIR[:REF]` split at the first colon, as containers/image does on non-Windows hosts. */
function splitPathAndRef(
  transport: 'oci' | 'oci-archive',
  within: string,
  input: string,
): { path: string; ref?: string } {
  const colon = within.indexOf(':');
  const path = colon < 0 ? within : within.slice(0, colon);
  const ref = colon < 0 ? '' : within.slice(colon + 1);
  if (path === '') throw invalid('TRANSPORT_EMPTY_PATH', `Invalid image name "${input}", empty path`);
  if (ref !== '' && !ociRefRe.test(ref)) {
    throw invalid('TRANSPORT_BAD_OCI_REF', `Invalid image ${ref} (in ${transport}:${within})`);
  }
  return ref === '' ? { path } : { path, ref };
}

function parseDockerArchive(within: string, input: string): ImageReference {
  if (within === '') {
    throw invalid(
      'TRANSPORT_EMPTY_PATH',
      `docker-archive reference ${within} isn't of the form <path>[:<reference>]`,
    );
  }
  const colon = within.indexOf(':');
  const file = colon < 0 ? within : within.slice(0, colon);
  if (colon < 0 || colon === within.length - 1) return { transport: 'docker-archive', file };
  const rest = within.slice(colon + 1);
  // `FILE:@N`: the Nth image of the archive (sources only), as containers/image allows
  if (rest.startsWith('@')) {
    if (!/^@\d+$/.test(rest)) throw invalid('TRANSPORT_BAD_INDEX', `Invalid source index ${rest}`);
    return { transport: 'docker-archive', file, ref: rest };
  }
  let parsed: ReturnType<typeof parseNormalizedReference>;
  try {
    parsed = parseNormalizedReference(rest);
  } catch (cause) {
    throw invalid(
      'TRANSPORT_BAD_REFERENCE',
      `docker-archive parsing reference: ${(cause as Error).message}`,
      cause,
    );
  }
  if (parsed.digest !== undefined) {
    throw invalid('TRANSPORT_DIGEST_REF', `docker-archive doesn't support digest references: ${input}`);
  }
  return { transport: 'docker-archive', file, ref: formatReference(withDefaultTag(parsed)) };
}

function parseDocker(within: string): ImageReference {
  if (!within.startsWith('//')) {
    throw invalid('TRANSPORT_BAD_DOCKER', `docker: image reference ${within} does not start with //`);
  }
  try {
    return {
      transport: 'docker',
      ref: formatReference(withDefaultTag(parseNormalizedReference(within.slice(2)))),
    };
  } catch (cause) {
    throw invalid('TRANSPORT_BAD_REFERENCE', `docker: ${(cause as Error).message}`, cause);
  }
}

/**
 * `docker-daemon:NAME:TAG`, `docker-daemon:NAME@DIGEST` or `docker-daemon:sha256:<ID>`, with containers/image's
 * rules (`docker/daemon/daemon_transport.go`): a name needs a tag or a digest (not both), `sha256` is no repository,
 * and an image ID is sha256 only.
 */
function parseDockerDaemon(within: string): ImageReference {
  const bad = (code: string, message: string, cause?: unknown) => invalid(code, message, cause);
  if (isDigest(within)) {
    if (!within.startsWith('sha256:')) {
      throw bad(
        'TRANSPORT_BAD_DIGEST',
        `Invalid docker-daemon: reference ${within}: only digest algorithm sha256 accepted`,
      );
    }
    return { transport: 'docker-daemon', id: within as Digest };
  }
  let parsed: ReturnType<typeof parseNormalizedReference>;
  try {
    parsed = parseNormalizedReference(within);
  } catch (cause) {
    throw bad('TRANSPORT_BAD_REFERENCE', `docker-daemon: ${(cause as Error).message}`, cause);
  }
  if (familiarName(parsed) === 'sha256') {
    throw bad(
      'TRANSPORT_BAD_REFERENCE',
      `Invalid docker-daemon: reference ${within}: The sha256 repository name is reserved for (non-shortened) digest references`,
    );
  }
  if (parsed.tag === undefined && parsed.digest === undefined) {
    throw bad(
      'TRANSPORT_NAME_ONLY',
      `docker-daemon: reference ${familiarString(parsed)} has neither a tag nor a digest`,
    );
  }
  if (parsed.tag !== undefined && parsed.digest !== undefined) {
    throw bad(
      'TRANSPORT_TAG_AND_DIGEST',
      'docker-daemon: references with both a tag and digest are currently not supported',
    );
  }
  return { transport: 'docker-daemon', ref: formatReference(parsed) };
}

function parseStorageName(name: string, input: string): ImageReference {
  // `[driver@root+runroot]name` names a store; there is one store here, so the specifier is dropped.
  const bare = name.startsWith('[') && name.includes(']') ? name.slice(name.indexOf(']') + 1) : name;
  if (bare === '') throw invalid('TRANSPORT_EMPTY_NAME', `Invalid image name "${input}", no image name`);
  return { transport: 'containers-storage', name: bare };
}

function isStorageName(s: string): boolean {
  if (isImageIdLike(s) || /^[0-9a-f]{3,64}$/.test(s)) return true;
  try {
    parseNormalizedReference(s);
    return true;
  } catch {
    return false;
  }
}

/**
 * Parses `transport:reference` as containers/image's `alltransports.ParseImageName` does, with buildah's rule that a
 * bare image name (no known transport before the first colon) means the local storage (`containers-storage`). A name
 * that is neither is a usage error (`OptionError`) naming the known transports.
 */
export function parseImageReference(s: string): ImageReference {
  if (typeof s !== 'string' || s === '') throw invalid('TRANSPORT_EMPTY', 'Invalid image name "", empty');
  const colon = s.indexOf(':');
  const transport = colon < 0 ? '' : s.slice(0, colon);
  const within = colon < 0 ? '' : s.slice(colon + 1);
  switch (transport) {
    case 'containers-storage':
      return parseStorageName(within, s);
    case 'oci': {
      const { path, ref } = splitPathAndRef('oci', within, s);
      return ref === undefined ? { transport: 'oci', dir: path } : { transport: 'oci', dir: path, ref };
    }
    case 'oci-archive': {
      const { path, ref } = splitPathAndRef('oci-archive', within, s);
      return ref === undefined
        ? { transport: 'oci-archive', file: path }
        : { transport: 'oci-archive', file: path, ref };
    }
    case 'dir':
      if (within === '') throw invalid('TRANSPORT_EMPTY_PATH', `Invalid image name "${s}", empty path`);
      return { transport: 'dir', dir: within };
    case 'docker-archive':
      return parseDockerArchive(within, s);
    case 'docker':
      return parseDocker(within);
    case 'docker-daemon':
      return parseDockerDaemon(within);
    default:
      break;
  }
  if (unsupportedTransports.has(transport)) {
    throw unknownTransport(
      'TRANSPORT_UNSUPPORTED',
      `Invalid image name "${s}": transport "${transport}" is not supported by lading`,
    );
  }
  if (isStorageName(s)) return { transport: 'containers-storage', name: s };
  if (colon < 0) {
    throw unknownTransport(
      'TRANSPORT_BAD_NAME',
      `Invalid image name "${s}", expected colon-separated transport:reference`,
    );
  }
  throw unknownTransport('TRANSPORT_UNKNOWN', `Invalid image name "${s}", unknown transport "${transport}"`);
}

/** The image's name as containers/image prints it (`transports.ImageName`): what errors and policy messages show. */
export function formatImageReference(ref: ImageReference): string {
  switch (ref.transport) {
    case 'containers-storage':
      return `containers-storage:${ref.name}`;
    case 'oci':
      return `oci:${ref.dir}:${ref.ref ?? ''}`;
    case 'oci-archive':
      return `oci-archive:${ref.file}:${ref.ref ?? ''}`;
    case 'dir':
      return `dir:${ref.dir}`;
    case 'docker-archive':
      return ref.ref === undefined ? `docker-archive:${ref.file}` : `docker-archive:${ref.file}:${ref.ref}`;
    case 'docker':
      return `docker://${familiarString(parseNormalizedReference(ref.ref))}`;
    case 'docker-daemon':
      return 'id' in ref
        ? `docker-daemon:${ref.id}`
        : `docker-daemon:${familiarString(parseNormalizedReference(ref.ref))}`;
  }
}
