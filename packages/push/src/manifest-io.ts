import {
  checkHash,
  type Descriptor,
  type Digest,
  digestOf,
  IntegrityError,
  InvalidInputError,
  isDigest,
  isInvalidInputError,
  isNotFoundError,
  MediaType,
  NotFoundError,
  parseDigest,
  parseJsonObject,
} from '@lading/digest';
import { repositoryScope } from './authorizer.js';
import { type CappedRead, caps, checkDeclaredSize, contentTooLarge, readCapped } from './caps.js';
import { discardBody, type HttpResponse, header } from './http.js';
import type { RegistryClient } from './registry-client.js';
import { errorFromResponse } from './registry-errors.js';
import { registryText } from './registry-text.js';

/** What a pull accepts, OCI first: the types a registry may convert between are all listed so it never has to. */
export const manifestAccept = [
  MediaType.ociIndex,
  MediaType.ociManifest,
  MediaType.dockerManifestList,
  MediaType.dockerManifest,
  '*/*;q=0.1',
].join(', ');

/** Manifests are read whole; this caps them: `caps.manifest`, the cap `@lading/manifest` decodes. */
export const defaultMaxManifestBytes = caps.manifest;

export interface ManifestRequestOptions {
  readonly signal?: AbortSignal;
  readonly scopes?: readonly string[];
}

/**
 * HEAD a manifest by tag or digest: its descriptor, or undefined when absent. When the registry does not say the
 * digest (some do not on HEAD), a GET fetches the bytes and hashes them.
 */
export async function headManifest(
  client: RegistryClient,
  repository: string,
  tagOrDigest: string,
  options: ManifestRequestOptions = {},
): Promise<Descriptor | undefined> {
  const { signal } = options;
  const found = await client.retry(async () => {
    const res = await client.request({
      method: 'HEAD',
      path: `/v2/${repository}/manifests/${tagOrDigest}`,
      headers: { accept: manifestAccept },
      scopes: options.scopes ?? [repositoryScope(repository, 'pull')],
      ...(signal ? { signal } : {}),
    });
    discardBody(res);
    if (res.status === 404) return null;
    if (res.status !== 200) throw await errorFromResponse(res, `looking up ${repository}:${tagOrDigest}`);
    const digest = header(res, 'docker-content-digest');
    const size = Number(header(res, 'content-length'));
    const mediaType = mediaTypeHeader(res);
    if (digest && isDigest(digest) && Number.isFinite(size) && mediaType) {
      return { mediaType, digest: parseDigest(digest), size } satisfies Descriptor;
    }
    return undefined;
  }, signal);
  if (found === null) return undefined;
  if (found) return found;
  try {
    return (await getManifest(client, repository, tagOrDigest, options)).descriptor;
  } catch (err) {
    if (isNotFoundError(err)) return undefined;
    throw err;
  }
}

export interface FetchedManifest {
  readonly descriptor: Descriptor;
  /** The exact bytes the registry served: digests are taken over these, they are never re-encoded. */
  readonly bytes: Uint8Array;
}

/**
 * GET a manifest, verified against the digest asked for, or the one the registry states for a tag. The read is
 * capped at `min(expected.size, maxBytes)`: a descriptor declaring more than the cap is refused before the request,
 * a Content-Length over it before a byte of the body is read.
 */
export async function getManifest(
  client: RegistryClient,
  repository: string,
  tagOrDigest: string,
  options: ManifestRequestOptions & { expected?: Descriptor; maxBytes?: number } = {},
): Promise<FetchedManifest> {
  const { signal } = options;
  const capped: CappedRead = {
    what: `manifest ${repository}${isDigest(tagOrDigest) ? '@' : ':'}${tagOrDigest}`,
    cap: options.maxBytes ?? caps.manifest,
    ...(options.expected ? { declared: options.expected.size } : {}),
    tooLarge: contentTooLarge('MANIFEST_TOO_LARGE'),
  };
  checkDeclaredSize(capped);
  return client.retry(async () => {
    const res = await client.request({
      method: 'GET',
      path: `/v2/${repository}/manifests/${tagOrDigest}`,
      headers: { accept: manifestAccept },
      scopes: options.scopes ?? [repositoryScope(repository, 'pull')],
      ...(signal ? { signal } : {}),
    });
    if (res.status === 404) {
      discardBody(res);
      throw new NotFoundError(
        'MANIFEST_NOT_FOUND',
        `manifest ${repository}:${tagOrDigest} not found on ${client.registry}`,
      );
    }
    if (res.status !== 200)
      throw await errorFromResponse(res, `fetching manifest ${repository}:${tagOrDigest}`);
    const bytes = await readCapped(res, capped);
    const contentType = mediaTypeHeader(res);
    const said = header(res, 'docker-content-digest');
    const wanted: Digest | undefined =
      options.expected?.digest ?? (isDigest(tagOrDigest) ? tagOrDigest : undefined);
    const actual = digestOf(bytes, wanted ? (wanted.split(':')[0] as 'sha256') : 'sha256');
    if (wanted) {
      checkHash(
        { digest: actual, size: bytes.byteLength },
        {
          digest: wanted,
          ...(options.expected ? { size: options.expected.size } : {}),
        },
        `manifest ${repository}@${wanted}`,
      );
    } else if (said && said !== actual && said.startsWith('sha256:')) {
      throw new IntegrityError(
        'DIGEST_MISMATCH',
        `manifest ${repository}:${tagOrDigest} hashes to ${actual}, the registry says ${registryText(said, 140)}`,
        {
          expected: registryText(said, 140),
          actual,
        },
      );
    }
    const mediaType = options.expected?.mediaType ?? mediaTypeOf(bytes, contentType);
    return { descriptor: { mediaType, digest: wanted ?? actual, size: bytes.byteLength }, bytes };
  }, signal);
}

// RFC 6838's grammar: a Content-Type that is not a media type is not used as one.
const mediaTypeGrammar = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

function mediaTypeHeader(res: HttpResponse): string | undefined {
  const value = header(res, 'content-type')?.split(';')[0]?.trim();
  return value !== undefined && mediaTypeGrammar.test(value) ? value : undefined;
}

/** The manifest's own mediaType field wins over a Content-Type the registry may have guessed. */
function mediaTypeOf(bytes: Uint8Array, contentType: string | undefined): string {
  try {
    const v = parseJsonObject(bytes, { what: 'manifest', code: 'MANIFEST_INVALID' });
    if (typeof v.mediaType === 'string') return v.mediaType;
    if (Array.isArray(v.manifests)) return MediaType.ociIndex;
  } catch (error) {
    // Not a JSON object: the header decides; the decoder of the caller refuses the bytes if they are no manifest.
    if (!isInvalidInputError(error)) throw error;
  }
  if (contentType && contentType !== 'application/json') return contentType;
  throw new InvalidInputError(
    'UNKNOWN_MANIFEST_TYPE',
    'manifest has no mediaType and the registry gave no useful Content-Type',
  );
}

/** PUT a manifest by tag or by digest; checks the registry stored it under the digest of the bytes sent. */
export async function putManifest(
  client: RegistryClient,
  repository: string,
  tagOrDigest: string,
  manifest: { readonly descriptor: Descriptor; readonly bytes: Uint8Array },
  options: ManifestRequestOptions = {},
): Promise<{ readonly subject?: string }> {
  const { signal } = options;
  const { descriptor, bytes } = manifest;
  return client.retry(async () => {
    const res = await client.request({
      method: 'PUT',
      path: `/v2/${repository}/manifests/${tagOrDigest}`,
      headers: { 'content-type': descriptor.mediaType },
      body: bytes,
      scopes: options.scopes ?? [repositoryScope(repository, 'pull,push')],
      ...(signal ? { signal } : {}),
    });
    if (res.status !== 201 && res.status !== 200 && res.status !== 202) {
      throw await errorFromResponse(
        res,
        `pushing manifest ${descriptor.digest} to ${repository}:${tagOrDigest}`,
      );
    }
    discardBody(res);
    const said = header(res, 'docker-content-digest');
    if (said !== undefined && said !== descriptor.digest) {
      throw new IntegrityError(
        'REGISTRY_DIGEST_MISMATCH',
        `registry stored manifest ${descriptor.digest} of ${repository} as ${registryText(said, 140)}`,
        { expected: descriptor.digest, actual: registryText(said, 140) },
      );
    }
    const subject = header(res, 'oci-subject');
    return subject !== undefined ? { subject } : {};
  }, signal);
}
