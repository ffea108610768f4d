import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLocalStore } from '@lading/content-store';
import type { Platform } from '@lading/digest';
import type { RemoteReference } from '@lading/transports';
import { type BaseImage, readStoreImage } from './base-image.js';

/**
 * An image behind another transport (`oci-archive:`, `docker-archive:`, `dir:`, `docker-daemon:`), read as
 * lading-buildah reads it into a scratch store that is removed afterwards: what `inspect` shows of it.
 */
export async function readTransportImage(
  ref: RemoteReference,
  platform: Platform,
  options: { readonly signal?: AbortSignal } = {},
): Promise<BaseImage> {
  const { formatImageReference, readImage } = await import('@lading/transports');
  const dir = await mkdtemp(join(tmpdir(), 'lading-inspect-'));
  try {
    const store = await openLocalStore(dir);
    const read = await readImage(ref, store, {
      platform,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return await readStoreImage(store, read.manifest, platform, formatImageReference(ref));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
