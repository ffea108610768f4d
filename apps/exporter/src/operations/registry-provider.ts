import type { Provider } from '@lading/content-store';
import {
  type Descriptor,
  type Digest,
  isIndexMediaType,
  isManifestMediaType,
  NotFoundError,
} from '@lading/digest';
import type { RegistryClient } from '@lading/push';

function manifestChildren(bytes: Uint8Array): Descriptor[] {
  try {
    const doc = JSON.parse(new TextDecoder().decode(bytes)) as { manifests?: unknown };
    return Array.isArray(doc.manifests) ? (doc.manifests as Descriptor[]) : [];
  } catch {
    return [];
  }
}

/**
 * A read-only Provider over one repository of a registry, rooted at `root`: manifests by GET (verified, the exact
 * bytes), other blobs streamed and verified. A digest is a manifest when it is the root or an index it served names
 * it with a manifest media type (the registry serves the two kinds at different URLs). What `inspect docker://`
 * reads through: only the manifests and the config move, as `skopeo inspect` and `crane manifest` fetch them.
 */
export async function registryProvider(
  client: RegistryClient,
  repository: string,
  root: Descriptor,
): Promise<Provider> {
  const { fetchBlob, getManifest } = await import('@lading/push');
  const manifests = new Set<Digest>([root.digest]);
  return {
    async *read(ref, options) {
      const signal = options?.signal;
      if (manifests.has(ref.digest)) {
        const got = await getManifest(client, repository, ref.digest, signal ? { signal } : {});
        for (const child of manifestChildren(got.bytes)) {
          if (isManifestMediaType(child.mediaType) || isIndexMediaType(child.mediaType))
            manifests.add(child.digest);
        }
        yield got.bytes;
        return;
      }
      if (ref.size === undefined) {
        throw new NotFoundError('BLOB_SIZE_UNKNOWN', `blob ${ref.digest}: its size is not known`);
      }
      const desc = { mediaType: 'application/octet-stream', digest: ref.digest, size: ref.size };
      yield* fetchBlob(client, repository, desc, signal ? { signal } : {});
    },
    async info(digest) {
      throw new NotFoundError('BLOB_INFO_REMOTE', `blob ${digest}: the registry is read by descriptor only`);
    },
  };
}
