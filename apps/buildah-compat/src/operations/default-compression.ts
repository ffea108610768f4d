import type { RemoteReference, TransferOptions } from '../transports/index.js';

/**
 * What a copy to `dest` does to layers when no compression is asked, as containers/image does: registries and OCI
 * layouts get uncompressed layers gzipped, compressed ones sent as they are (a base's gzip layer is never
 * decompressed); dir: and the rest keep every layer as it is.
 */
export function defaultCompression(
  dest: RemoteReference,
): Pick<TransferOptions, 'compression' | 'onlyUncompressed'> {
  return dest.transport === 'docker' || dest.transport === 'oci' || dest.transport === 'oci-archive'
    ? { compression: 'gzip', onlyUncompressed: true }
    : {};
}
