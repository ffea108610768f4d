import type { ContainerdClient } from '@lading/containerd';
import type { BlobSink, Provider } from '@lading/content-store';
import { type Descriptor, defaultPlatform, isNotFoundError, NotFoundError } from '@lading/digest';

/** Which containerd `containerd://NAME` means, and what a copy into it does beyond the blobs and the record. */
export interface ContainerdCopyOptions {
  /** containerd's socket; default `CONTAINERD_ADDRESS`, else /run/containerd/containerd.sock. */
  readonly address?: string;
  /** default `CONTAINERD_NAMESPACE`, else `default`. */
  readonly namespace?: string;
  /** Apply the layers into a snapshotter too, as `ctr images import` does by default. */
  readonly unpack?: boolean;
  /** default overlayfs. */
  readonly snapshotter?: string;
}

async function connect(options: ContainerdCopyOptions): Promise<ContainerdClient> {
  const { connectContainerd } = await import('@lading/containerd');
  return connectContainerd({
    ...(options.address ? { address: options.address } : {}),
    ...(options.namespace ? { namespace: options.namespace } : {}),
  });
}

/** `docker.io/library/app:1` for `app:1`, as Docker, nerdctl and the image exporter name records. */
async function normalisedName(name: string): Promise<string> {
  const { formatReference, parseNormalizedReference, withDefaultTag } = await import(
    '@lading/reference-store/reference'
  );
  return formatReference(withDefaultTag(parseNormalizedReference(name)));
}

/**
 * The image record `name` in containerd (as given, else its normalised form): its root descriptor, read through
 * containerd's content store. `close` releases the connection once the copy is done.
 */
export async function openContainerdImage(
  name: string,
  options: ContainerdCopyOptions,
): Promise<{ provider: Provider; desc: Descriptor; close: () => void }> {
  const client = await connect(options);
  try {
    let record: Awaited<ReturnType<ContainerdClient['images']['get']>>;
    try {
      record = await client.images.get(name);
    } catch (error) {
      const normalised = await normalisedName(name).catch(() => name);
      if (!isNotFoundError(error) || normalised === name) throw error;
      record = await client.images.get(normalised);
    }
    return { provider: client.content, desc: record.target, close: () => client.close() };
  } catch (error) {
    client.close();
    throw error;
  }
}

/**
 * Copies an image (every platform) into containerd under a temporary lease: the blobs it lacks (an interrupted
 * upload resumes), `containerd.io/gc.ref.content.*` labels on every manifest and index, the image record (updated,
 * or created) under the normalised name, and with `unpack` the layers for this machine's platform applied into the
 * snapshotter. The lease goes at the end: the record holds the image.
 */
export async function copyIntoContainerd(
  provider: Provider,
  desc: Descriptor,
  name: string,
  options: ContainerdCopyOptions & {
    readonly signal?: AbortSignal;
    readonly onProgress?: (message: string) => void;
    readonly copyGraph: (
      src: Provider,
      dst: Pick<Provider, 'info'> & BlobSink,
      root: Descriptor,
    ) => Promise<number>;
  },
): Promise<Descriptor> {
  const recordName = await normalisedName(name);
  const { checkSnapshotter, labelImageGraph, unpackImage } = await import('@lading/containerd');
  const client = await connect(options);
  try {
    const snapshotter = options.snapshotter ?? 'overlayfs';
    if (options.unpack) await checkSnapshotter(client.snapshots, snapshotter, options.signal);
    const signal = options.signal ? { signal: options.signal } : {};
    const lease = await client.leases.create({ expiresInMs: 60 * 60 * 1000 }, signal);
    try {
      const leased = client.withLease(lease.id);
      options.onProgress?.(`copying into containerd at ${client.address} (namespace ${client.namespace})`);
      // Every blob goes through put, which also takes blobs containerd already holds into the lease.
      const content = leased.content;
      await options.copyGraph(
        provider,
        {
          info: (digest) => Promise.reject(new NotFoundError('COPY_PUT', `${digest}: put decides`)),
          has: (d) => content.has(d),
          put: (d, source, o) => content.put(d, source, o),
        },
        desc,
      );
      await labelImageGraph(leased.content, desc, signal);
      if (options.unpack) {
        options.onProgress?.(`unpacking into ${snapshotter}`);
        await unpackImage(leased, desc, { snapshotter, platform: defaultPlatform(), ...signal });
      }
      await leased.images.put(
        { name: recordName, target: { mediaType: desc.mediaType, digest: desc.digest, size: desc.size } },
        signal,
      );
      options.onProgress?.(`named ${recordName}`);
    } finally {
      await client.leases.delete(lease.id).catch(() => {});
    }
    return desc;
  } finally {
    client.close();
  }
}
