/**
 * Caps on what is read whole into memory, one definition each (reads of JSON are capped). A read is
 * capped at the smaller of the cap and the size its descriptor declares, and a declared size above the cap is
 * refused before a byte is read.
 */

import { maxManifestBytes } from '@lading/digest';

/** Manifests and indexes (4 MiB): defined with the other caps in `@lading/digest`, re-exported for existing users. */
export { maxManifestBytes };

/** `readBlob`'s default: the manifest cap (pass `maxBytes` for configs and other JSON). */
export const defaultMaxBlobBytes = maxManifestBytes;

/** A GC removes an ingest nobody has written to for this long (a day), unless the caller says otherwise. */
export const defaultStaleIngestMs = 24 * 60 * 60 * 1000;
