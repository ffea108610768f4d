export { repositoryScope } from './authorizer.js';
export type { BlobFetchOptions, PullStore } from './blob-fetch.js';
export { distributionSourceLabel, fetchBlob, pullBlob } from './blob-fetch.js';
export type { BlobPushOptions, BlobPushResult } from './blob-push.js';
export { hasBlob, pushBlob } from './blob-push.js';
export { readCertDir } from './cert-dir.js';
export type { CredentialOptions, Credentials } from './credentials.js';
export { defaultAuthFiles, normalizeAuthKey, resolveCredentials } from './credentials.js';
export type { HttpBody, HttpResponse, TlsTrust } from './http.js';
export { NetworkError } from './http.js';
export type { FetchedManifest, ManifestRequestOptions } from './manifest-io.js';
export {
  defaultMaxManifestBytes,
  getManifest,
  headManifest,
  manifestAccept,
  putManifest,
} from './manifest-io.js';
export type { BlobProgress, BlobState, ProgressListener } from './progress.js';
export type { PullImageOptions, PullImageResult, PullTarget } from './pull-image.js';
export { pullImage, resolveImage } from './pull-image.js';
export type { PushImageOptions, PushImageResult } from './push-image.js';
export { pushImage } from './push-image.js';
export type { ImageReference } from './reference.js';
export { addReferrerToFallbackTag, listReferrers, referrersTag } from './referrers.js';
export type { RegistryClientOptions, RegistryRequest, RequestEvent } from './registry-client.js';
export { RegistryClient } from './registry-client.js';
export type { RegistryTargetOptions } from './registry-target.js';
export { RegistryTarget } from './registry-target.js';
export type { RetryOptions } from './retry.js';
export { isRetryable, withRetries } from './retry.js';
export type { AuthChallenge } from './www-authenticate.js';
export { parseWwwAuthenticate } from './www-authenticate.js';
