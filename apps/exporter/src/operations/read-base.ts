import type { FullStore } from '@lading/content-store';
import { OptionError, type Platform } from '@lading/digest';
import { type BaseImage, readOciLayoutImage } from './base-image.js';

/**
 * A base image: `oci:DIR[:TAG]` read in place, or `docker://REF` pulled (one platform) into `store` with
 * @lading/push and read from there.
 */
export async function readBaseImage(
  ref: string,
  store: FullStore,
  options: { platform: Platform; signal?: AbortSignal; insecure?: boolean },
): Promise<BaseImage> {
  if (ref.startsWith('oci:')) return readOciLayoutImage(ref, options.platform);
  if (ref.startsWith('docker://')) {
    const { pullImage } = await import('@lading/push');
    const { readStoreImage } = await import('./base-image.js');
    const name = ref.slice('docker://'.length);
    const pulled = await pullImage(name, store, {
      platform: options.platform,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.insecure ? { insecure: true } : {}),
    });
    return readStoreImage(store, pulled.manifest ?? pulled.descriptor, options.platform, name);
  }
  throw new OptionError(
    'BASE_TRANSPORT',
    `--base ${JSON.stringify(ref)}: use oci:DIR[:TAG] or docker://REF`,
    { key: 'base' },
  );
}
