import {
  type BlobSink,
  copyBlob,
  createMemoryStore,
  type FullStore,
  type Ingester,
  openLocalStore,
  overlayProvider,
  type Provider,
  readBlob,
  writeBlob,
} from '@lading/content-store';
import {
  AnnotationRefName,
  type Descriptor,
  isForeignLayer,
  isIndexMediaType,
  isManifestMediaType,
  maxManifestBytes,
  OptionError,
  parseJsonObject,
} from '@lading/digest';
import type { ContainerdCopyOptions } from './copy-containerd.js';
import { type ImageLocation, layoutEntry } from './image-location.js';

interface Node {
  manifests?: Descriptor[];
  config?: Descriptor;
  layers?: Descriptor[];
  mediaType?: string;
}

/** Copies a manifest or index and everything below it that `dst` lacks; children before parents. */
export async function copyImageGraph(
  src: Provider,
  dst: Pick<Provider, 'info'> & (BlobSink | Ingester),
  desc: Descriptor,
  signal?: AbortSignal,
  /** One line per blob (not manifests): copied, or CACHED when `dst` has it, as BuildKit marks cache hits. */
  report?: (line: string) => void,
): Promise<number> {
  let copied = 0;
  const seen = new Set<string>();
  const visit = async (d: Descriptor): Promise<void> => {
    if (seen.has(d.digest)) return;
    seen.add(d.digest);
    signal?.throwIfAborted();
    const isJson = isManifestMediaType(d.mediaType) || isIndexMediaType(d.mediaType);
    if (isJson) {
      const bytes = await readBlob(src, d, { maxBytes: maxManifestBytes });
      const node = parseJsonObject(bytes, { what: `manifest ${d.digest}`, code: 'MANIFEST_INVALID' }) as Node;
      for (const c of [
        ...(node.manifests ?? []),
        ...(node.config ? [node.config] : []),
        ...(node.layers ?? []),
      ]) {
        if (isForeignLayer(c)) continue; // foreign layers stay remote
        await visit(c);
      }
    }
    try {
      await dst.info(d.digest);
      if (!isJson) report?.(`${d.digest}: CACHED (already in the destination)`);
    } catch {
      await copyBlob(src, dst, d, signal ? { signal } : {});
      copied++;
      if (!isJson) report?.(`${d.digest}: copied (${d.size} bytes)`);
    }
  };
  await visit(desc);
  return copied;
}

/** Media types a copy writes: OCI's, Docker schema2's, or whatever the source has. */
export type CopyFormat = 'oci' | 'docker' | 'keep';

export interface CopyOptions {
  readonly storeDir: string;
  /** For `containerd://NAME` on either side. */
  readonly containerd?: ContainerdCopyOptions;
  /** Default: `oci` into an OCI layout (`oci:`), `keep` elsewhere. */
  readonly format?: CopyFormat;
  readonly insecure?: boolean;
  readonly signal?: AbortSignal;
  readonly onProgress?: (message: string) => void;
  /** Into a registry: awaited before the first write (see `@lading/push`'s `PushImageOptions.beforeWrite`). */
  readonly beforeWrite?: () => Promise<void>;
}

/**
 * The source image and a provider of its blobs. A `docker://` source is pulled into `pullInto` (the destination
 * layout, so each blob is downloaded and written once, as skopeo does) or else into the lading store.
 */
async function openSource(
  loc: ImageLocation,
  options: CopyOptions,
  pullInto?: string,
): Promise<{ provider: Provider; desc: Descriptor; close?: () => void }> {
  if (loc.kind === 'containerd') {
    const { openContainerdImage } = await import('./copy-containerd.js');
    return openContainerdImage(loc.name, options.containerd ?? {});
  }
  if (loc.kind === 'oci') {
    const store = await openLocalStore(loc.dir);
    const index = await store.readIndex();
    return { provider: store, desc: layoutEntry(index.manifests, loc) };
  }
  if (loc.kind === 'store') {
    const store = await openLocalStore(options.storeDir);
    const { findStoreImage } = await import('./images.js');
    return { provider: store, desc: await findStoreImage(store, loc.name) };
  }
  if (loc.kind === 'transport') {
    // read as lading-buildah reads it (every blob verified), into the destination layout or the store, as a pull
    const store = await openLocalStore(pullInto ?? options.storeDir);
    const { formatImageReference, readImage } = await import('@lading/transports');
    options.onProgress?.(`reading ${formatImageReference(loc.ref)}`);
    const read = await readImage(loc.ref, store, {
      all: true,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    return { provider: store, desc: read.manifest };
  }
  // the registry client loads while a new layout's files are written and synced
  const [store, { pullImage }] = await Promise.all([
    openLocalStore(pullInto ?? options.storeDir),
    import('@lading/push'),
  ]);
  options.onProgress?.(`pulling ${loc.ref}`);
  const report = options.onProgress;
  const pulled = await pullImage(loc.ref, store, {
    ...(options.insecure ? { insecure: true } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    // one line per blob when it is done (the byte counts in between would flood a log)
    ...(report
      ? {
          onProgress: (e: { digest: string; state: string; total: number }) => {
            if (e.state === 'exists') report(`${e.digest}: CACHED (already in the destination)`);
            else if (e.state !== 'downloading') report(`${e.digest}: ${e.state} (${e.total} bytes)`);
          },
        }
      : {}),
  });
  return { provider: store, desc: pulled.descriptor };
}

/**
 * Re-types a manifest or index (and the manifests below it) to OCI or Docker media types, writing the manifests that
 * change into `out`; blobs below keep their bytes and digests. Returns the (possibly new) root descriptor.
 */
export async function convertImageGraph(
  src: Provider,
  out: FullStore,
  desc: Descriptor,
  oci: boolean,
): Promise<Descriptor> {
  const isManifest = isManifestMediaType(desc.mediaType);
  if (!isManifest && !isIndexMediaType(desc.mediaType)) return desc;
  const { convertIndex, convertManifest, decodeIndex, decodeManifest } = await import('@lading/manifest');
  const bytes = await readBlob(src, desc, { maxBytes: maxManifestBytes });
  let converted: { readonly bytes: Uint8Array; readonly descriptor: Descriptor };
  if (isManifest) {
    converted = convertManifest(decodeManifest(bytes, { expected: desc }), { oci });
  } else {
    const index = decodeIndex(bytes, { expected: desc });
    const children = new Map<string, Descriptor>();
    for (const m of index.value.manifests) {
      if (m.urls && m.urls.length > 0) continue;
      const c = await convertImageGraph(src, out, m, oci);
      if (c.digest !== m.digest) children.set(m.digest, c);
    }
    converted = convertIndex(index, { oci, children });
  }
  if (converted.descriptor.digest === desc.digest) return desc;
  await writeBlob(out, converted.bytes, { mediaType: converted.descriptor.mediaType });
  const { annotations, platform } = desc;
  return {
    mediaType: converted.descriptor.mediaType,
    digest: converted.descriptor.digest,
    size: converted.descriptor.size,
    ...(platform ? { platform } : {}),
    ...(annotations ? { annotations } : {}),
  };
}

/**
 * Copies an image between `oci:DIR:TAG`, `docker://REF`, `containerd://NAME`, names in the lading store and the
 * transports of @lading/transports (`oci-archive:`, `docker-archive:`, `dir:`, `docker-daemon:`). Returns the root.
 */
export async function copyImage(
  src: ImageLocation,
  dst: ImageLocation,
  options: CopyOptions,
): Promise<Descriptor> {
  if (dst.kind === 'oci' && dst.tag === undefined)
    throw new OptionError('OCI_TAG_REQUIRED', `copy to oci:${dst.dir} needs a tag: oci:${dst.dir}:TAG`, {});
  const opened = await openSource(src, options, dst.kind === 'oci' ? dst.dir : undefined);
  try {
    return await copyOpened(opened, dst, options);
  } finally {
    opened.close?.();
  }
}

async function copyOpened(
  opened: { provider: Provider; desc: Descriptor },
  dst: ImageLocation,
  options: CopyOptions,
): Promise<Descriptor> {
  let { provider, desc } = opened;
  const format = options.format ?? (dst.kind === 'oci' ? 'oci' : 'keep');
  if (format !== 'keep') {
    const converted = createMemoryStore();
    desc = await convertImageGraph(opened.provider, converted, opened.desc, format === 'oci');
    if (desc.digest !== opened.desc.digest) provider = overlayProvider(converted, opened.provider);
  }
  if (dst.kind === 'containerd') {
    const { copyIntoContainerd } = await import('./copy-containerd.js');
    return copyIntoContainerd(provider, desc, dst.name, {
      ...options.containerd,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      copyGraph: (src, content, root) => copyImageGraph(src, content, root, options.signal),
    });
  }
  if (dst.kind === 'docker') {
    const { pushImage } = await import('@lading/push');
    options.onProgress?.(`pushing ${dst.ref}`);
    const report = options.onProgress;
    const r = await pushImage(provider, desc, dst.ref, {
      ...(options.insecure ? { insecure: true } : {}),
      ...(options.beforeWrite ? { beforeWrite: options.beforeWrite } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      // one line per blob when it is done; what the registry had is CACHED, as BuildKit marks it
      ...(report
        ? {
            onProgress: (e: { digest: string; state: string; total: number }) => {
              if (e.state === 'exists' || e.state === 'mounted')
                report(
                  `${e.digest}: CACHED (${e.state === 'mounted' ? 'mounted' : 'already in the registry'})`,
                );
              else if (e.state === 'uploaded') report(`${e.digest}: pushed (${e.total} bytes)`);
            },
          }
        : {}),
    });
    return r.descriptor;
  }
  if (dst.kind === 'transport') {
    const { formatImageReference, writeImage } = await import('@lading/transports');
    const to = dst.ref;
    options.onProgress?.(`writing ${formatImageReference(to)}`);
    await writeImage(
      to,
      { store: provider, manifest: desc },
      {
        // a docker save archive and the Docker Engine hold one platform's image: this machine's, as skopeo picks
        all: to.transport !== 'docker-archive' && to.transport !== 'docker-daemon',
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      },
    );
    return desc;
  }
  if (dst.kind === 'oci') {
    if (dst.tag === undefined)
      throw new OptionError('OCI_TAG_REQUIRED', `copy to oci:${dst.dir} needs a tag: oci:${dst.dir}:TAG`, {});
    const layout = await openLocalStore(dst.dir);
    await copyImageGraph(provider, layout, desc, options.signal, options.onProgress);
    const tag = dst.tag;
    await layout.updateIndex((index) => ({
      ...index,
      manifests: [
        ...index.manifests.filter((m) => m.annotations?.[AnnotationRefName] !== tag),
        {
          mediaType: desc.mediaType,
          digest: desc.digest,
          size: desc.size,
          annotations: { [AnnotationRefName]: tag },
        },
      ],
    }));
    return desc;
  }
  const store = await openLocalStore(options.storeDir);
  await copyImageGraph(provider, store, desc, options.signal, options.onProgress);
  const { ImageStore } = await import('@lading/reference-store');
  await new ImageStore(store).put({
    name: dst.name,
    target: { mediaType: desc.mediaType, digest: desc.digest, size: desc.size },
  });
  return desc;
}
