/**
 * Caps on what is read whole into memory, one definition each (DESIGN §5: reads of JSON are capped). A read is
 * capped at the smaller of the cap and the size its descriptor declares, and a declared size above the cap is
 * refused before a byte is read.
 */

/** Manifests and indexes: containerd and go-containerregistry refuse more than 4 MiB as well. */
export const maxManifestBytes = 4 * 1024 * 1024;

/** `readBlob`'s default: the manifest cap (pass `maxBytes` for configs and other JSON). */
export const defaultMaxBlobBytes = maxManifestBytes;
