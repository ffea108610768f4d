import type { Descriptor } from '@lading/digest';
import type { WrittenImages } from '../operations/write-image.js';
import { ResponseKey } from '../plugin/keys.js';

/**
 * What an image exporter answers besides the names, as BuildKit's: the root's digest, the config digest (only for a
 * single-platform image) and the root descriptor as base64 JSON.
 */
export function recordImageResponse(
  response: Record<string, string>,
  desc: Descriptor,
  written: Pick<WrittenImages, 'images'>,
): void {
  response[ResponseKey.imageDigest] = desc.digest;
  const only = written.images.length === 1 ? written.images[0] : undefined;
  if (only) response[ResponseKey.configDigest] = only.written.config.digest;
  response[ResponseKey.descriptor] = Buffer.from(JSON.stringify(desc)).toString('base64');
}
