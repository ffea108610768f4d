/**
 * Caps on JSON read whole into memory, one definition each (a read is capped at the smaller of the cap and the size
 * its descriptor declares).
 */

/** Manifests, indexes and referrers lists: containerd and go-containerregistry refuse more than 4 MiB as well. */
export const maxManifestBytes = 4 * 1024 * 1024;

/** Image configs: real ones are a few KiB; 8 MiB leaves room for long histories and labels. */
export const maxConfigBytes = 8 * 1024 * 1024;

/** One signature or signature payload: containers/image's `internal/iolimits` MaxSignatureBodySize. */
export const maxSignatureBytes = 4 * 1024 * 1024;
