import type { Platform } from '@lading/digest';
import { type BaseImage, readStoreImage } from './base-image.js';
import type { InspectOptions } from './images.js';
import { registryProvider } from './registry-provider.js';

/**
 * An image in a registry as `inspect` shows it, read without pulling: the manifest the reference names (an index
 * resolved to `platform`) and its config, as `skopeo inspect docker://` and `crane manifest`/`crane config` do.
 */
export async function readRemoteImage(
  ref: string,
  platform: Platform,
  options: InspectOptions = {},
): Promise<BaseImage> {
  const { RegistryClient, resolveImage } = await import('@lading/push');
  const { parseNormalizedReference } = await import('@lading/reference-store/reference');
  const parsed = parseNormalizedReference(ref);
  const client = new RegistryClient(parsed.registry, options.insecure ? { insecure: true } : {});
  try {
    const signal = options.signal ? { signal: options.signal } : {};
    const root = await resolveImage(parsed, { client, ...signal });
    const provider = await registryProvider(client, parsed.repository, root);
    return await readStoreImage(provider, root, platform, ref);
  } finally {
    client.close();
  }
}
