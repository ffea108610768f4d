import {
  type Descriptor,
  type Digest,
  digestAlgorithm,
  digestEncoded,
  digestOf,
  isNotFoundError,
  MediaType,
} from '@lading/digest';
import { decodeIndex } from '@lading/manifest';
import { repositoryScope } from './authorizer.js';
import { caps, contentTooLarge, readCapped } from './caps.js';
import { discardBody } from './http.js';
import { getManifest, putManifest } from './manifest-io.js';
import type { RegistryClient } from './registry-client.js';
import { errorFromResponse } from './registry-errors.js';

/** The tag-schema fallback of OCI distribution 1.1: `sha256-<hex>` names the referrers index of a subject. */
export function referrersTag(subject: Digest): string {
  return `${digestAlgorithm(subject)}-${digestEncoded(subject)}`.slice(0, 128);
}

interface IndexValue {
  schemaVersion: 2;
  mediaType: string;
  manifests: Descriptor[];
}

/** Lists the referrers of a subject: the referrers API, else the fallback tag (empty when neither has any). */
export async function listReferrers(
  client: RegistryClient,
  repository: string,
  subject: Digest,
  options: { signal?: AbortSignal; artifactType?: string } = {},
): Promise<Descriptor[]> {
  const { signal } = options;
  const api = await client.retry(async () => {
    const res = await client.request({
      method: 'GET',
      path: `/v2/${repository}/referrers/${subject}`,
      headers: { accept: MediaType.ociIndex },
      scopes: [repositoryScope(repository, 'pull')],
      ...(signal ? { signal } : {}),
    });
    if (res.status === 404) {
      discardBody(res);
      return undefined;
    }
    if (res.status !== 200) throw await errorFromResponse(res, `listing referrers of ${subject}`);
    const bytes = await readCapped(res, {
      what: `the referrers of ${subject} in ${repository}`,
      cap: caps.manifest,
      tooLarge: contentTooLarge('REFERRERS_TOO_LARGE'),
    });
    // an index like any other: decoded and validated, so a hostile list is a typed error, never a crash
    return [...decodeIndex(bytes).value.manifests];
  }, signal);
  const all = api ?? (await readFallback(client, repository, subject, signal)).manifests;
  return options.artifactType ? all.filter((d) => d.artifactType === options.artifactType) : all;
}

async function readFallback(
  client: RegistryClient,
  repository: string,
  subject: Digest,
  signal?: AbortSignal,
): Promise<IndexValue> {
  try {
    const got = await getManifest(client, repository, referrersTag(subject), signal ? { signal } : {});
    return {
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: [...decodeIndex(got.bytes).value.manifests],
    };
  } catch (err) {
    if (isNotFoundError(err)) return { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] };
    throw err;
  }
}

/**
 * Adds a referrer to the subject's fallback tag index (for registries without the referrers API): read, add if
 * missing, PUT. Returns false when it was already listed.
 */
export async function addReferrerToFallbackTag(
  client: RegistryClient,
  repository: string,
  subject: Digest,
  referrer: Descriptor,
  options: { signal?: AbortSignal } = {},
): Promise<boolean> {
  const index = await readFallback(client, repository, subject, options.signal);
  if (index.manifests.some((d) => d.digest === referrer.digest)) return false;
  const value: IndexValue = { ...index, manifests: [...index.manifests, referrer] };
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  const descriptor: Descriptor = {
    mediaType: MediaType.ociIndex,
    digest: digestOf(bytes),
    size: bytes.byteLength,
  };
  await putManifest(client, repository, referrersTag(subject), { descriptor, bytes }, options);
  return true;
}
