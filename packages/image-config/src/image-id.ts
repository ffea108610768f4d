import { type Digest, digestOf } from '@lading/digest';

/** An image's ID is the digest of its config's exact bytes. */
export function imageId(configBytes: Uint8Array): Digest {
  return digestOf(configBytes);
}
