import type { Provider, Store } from '@lading/content-store';
import { type Descriptor, OptionError, type Platform } from '@lading/digest';
import { formatReference, parseNormalizedReference, referenceName } from '@lading/reference-store/reference';
import { readDockerDaemon, writeDockerDaemon } from './docker-daemon.js';
import { layoutProvider } from './file-provider.js';
import { prepareImage } from './prepare.js';
import { type BlobBytes, pullReporter } from './progress-lines.js';
import {
  findInLayout,
  importImage,
  readDirImage,
  readDockerArchiveImage,
  withExtracted,
} from './read-image.js';
import { formatImageReference, type ImageReference, type RemoteReference } from './reference.js';
import { registryOptions } from './registry-options.js';
import { writeDockerArchive } from './write-docker-archive.js';
import { requireSingleImage, writeDirImage, writeOciArchive, writeOciLayout } from './write-image.js';

/** An image to write: a manifest or index whose blobs `store` can read. */
export interface ImageSource {
  store: Provider;
  manifest: Descriptor;
  /** Where the image comes from, for a caller's policy check (the transfer itself does not read it). */
  reference?: ImageReference;
}

export interface TransferOptions {
  /** Media types to write (buildah's `--format oci|v2s2`); default: what the destination takes, else the source's. */
  format?: 'oci' | 'v2s2';
  /** Copy every image of a list; otherwise the one for `platform`. */
  all?: boolean;
  /** Default: this machine's. */
  platform?: Platform;
  /** Recompress layers not already in this compression; default: layers are copied as they are. */
  compression?: 'gzip' | 'zstd' | 'uncompressed';
  /** With `compression`: compress only uncompressed layers (see PrepareOptions.onlyUncompressed). */
  onlyUncompressed?: boolean;
  compressionLevel?: number;
  /** `USER:PASS` for docker:// (never logged). */
  creds?: string;
  authFile?: string;
  /** false: plain HTTP or unverified TLS for docker:// */
  tlsVerify?: boolean;
  /** HTTPS only unless `tlsVerify` is false or the registry is in `insecureRegistries` (buildah's rule). */
  tlsRequired?: boolean;
  /** registries.conf's insecure registries. */
  insecureRegistries?: readonly string[];
  /** CA certificates and client certificates for docker:// (buildah's `--cert-dir`). */
  certDir?: string;
  retry?: number;
  retryDelayMs?: number;
  signal?: AbortSignal;
  /** buildah-style report lines ("Copying blob sha256:…"). */
  onProgress?: (message: string) => void;
  /** Bytes of each blob as a read from a registry moves them (for a terminal's progress line). */
  onBytes?: (event: BlobBytes) => void;
}

export interface ReadImageOptions extends TransferOptions {
  /**
   * For docker://: the manifest a policy judged before the read; the pull is pinned to its digest, so a tag moved in
   * between cannot slip another image in.
   */
  judged?: Descriptor;
}

/** The format a destination needs when none is asked for: OCI layouts take OCI only, docker save Docker only. */
function formatFor(dest: RemoteReference, asked: TransferOptions['format']): 'oci' | 'v2s2' | undefined {
  if (dest.transport === 'docker-archive' || dest.transport === 'docker-daemon') return 'v2s2';
  if (asked !== undefined) return asked;
  return dest.transport === 'oci' || dest.transport === 'oci-archive' ? 'oci' : undefined;
}

/**
 * Writes an image to a transport (buildah push, lading copy): the image narrowed to one platform unless `all`, converted and recompressed as asked, then written. File destinations appear complete or not
 * at all; a registry gets blobs before the manifests that name them.
 */
export async function writeImage(
  dest: RemoteReference,
  src: ImageSource,
  opts: TransferOptions,
): Promise<{ manifestDigest: string; manifest: Descriptor }> {
  const registry =
    dest.transport === 'docker'
      ? registryOptions(opts, parseNormalizedReference(dest.ref).registry)
      : undefined;
  opts.onProgress?.('Getting image source signatures');
  const prepared = await prepareImage(src.store, src.manifest, {
    format: formatFor(dest, opts.format),
    all: opts.all,
    platform: opts.platform,
    compression: dest.transport === 'docker-archive' ? 'uncompressed' : opts.compression,
    onlyUncompressed: dest.transport !== 'docker-archive' && opts.onlyUncompressed === true,
    compressionLevel: opts.compressionLevel,
    signal: opts.signal,
    onProgress: opts.onProgress,
  });
  const file = { signal: opts.signal, onProgress: opts.onProgress };
  try {
    const { provider, root } = prepared;
    switch (dest.transport) {
      case 'oci':
        await writeOciLayout(dest.dir, dest.ref, provider, root, file);
        break;
      case 'oci-archive':
        await writeOciArchive(dest.file, dest.ref, provider, root, file);
        break;
      case 'dir':
        await writeDirImage(dest.dir, provider, root, file);
        break;
      case 'docker-archive':
        requireSingleImage(root, formatImageReference(dest));
        if (dest.ref?.startsWith('@')) {
          throw new OptionError(
            'TRANSPORT_BAD_INDEX',
            `${formatImageReference(dest)}: a source index (@N) names an image to read, not a destination; give NAME:TAG`,
            { key: 'destination' },
          );
        }
        await writeDockerArchive(dest.file, dest.ref, provider, root, file);
        break;
      case 'docker-daemon':
        await writeDockerDaemon(dest, provider, root, file);
        break;
      case 'docker': {
        const { pushImage } = await import('@lading/push');
        const announced = new Set<string>();
        await pushImage(provider, root, dest.ref, {
          ...registry,
          ...(opts.signal ? { signal: opts.signal } : {}),
          onProgress: (e) => {
            if (announced.has(e.digest)) return;
            announced.add(e.digest);
            opts.onProgress?.(`Copying blob ${e.digest}`);
          },
        });
        opts.onProgress?.('Writing manifest to image destination');
        break;
      }
    }
    opts.onProgress?.('Storing signatures');
    return { manifestDigest: root.digest, manifest: root };
  } finally {
    await prepared.close();
  }
}

/**
 * Reads an image from a transport into a store (what `from IMAGE`, `pull` and `lading copy` use): a list is narrowed to one platform unless `all`, and every blob is verified against its digest as it is
 * stored. Returns the stored root (the platform's manifest, or the list with `all`).
 */
export async function readImage(
  src: RemoteReference,
  into: Store,
  opts: ReadImageOptions,
): Promise<{ manifest: Descriptor }> {
  const { judged } = opts;
  const shown = formatImageReference(src);
  const common = { all: opts.all, platform: opts.platform, signal: opts.signal, onProgress: opts.onProgress };
  switch (src.transport) {
    case 'oci': {
      const root = await findInLayout(src.dir, src.ref, shown);
      return { manifest: await importImage(layoutProvider(src.dir), root, into, common) };
    }
    case 'oci-archive':
      return withExtracted(src.file, opts.signal, async (dir) => {
        const root = await findInLayout(dir, src.ref, shown);
        return { manifest: await importImage(layoutProvider(dir), root, into, common) };
      });
    case 'dir': {
      const { provider, root } = await readDirImage(src.dir);
      return { manifest: await importImage(provider, root, into, common) };
    }
    case 'docker-archive':
      return withExtracted(src.file, opts.signal, async (dir) => {
        const { provider, root } = await readDockerArchiveImage(dir, src.ref, shown);
        return { manifest: await importImage(provider, root, into, common) };
      });
    case 'docker-daemon':
      return { manifest: await readDockerDaemon(src, into, common) };
    case 'docker': {
      const { pullImage } = await import('@lading/push');
      const pinned =
        judged === undefined
          ? src.ref
          : `${referenceName(parseNormalizedReference(src.ref))}@${judged.digest}`;
      opts.onProgress?.(`Trying to pull ${formatReference(parseNormalizedReference(src.ref))}...`);
      opts.onProgress?.('Getting image source signatures');
      const pulled = await pullImage(pinned, into, {
        ...registryOptions(opts, parseNormalizedReference(src.ref).registry),
        ...(opts.all
          ? {}
          : { platform: opts.platform ?? (await import('@lading/digest')).defaultPlatform() }),
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.onProgress || opts.onBytes
          ? { onProgress: pullReporter(opts.onProgress, opts.onBytes) }
          : {}),
      });
      opts.onProgress?.('Writing manifest to image destination');
      return { manifest: opts.all ? pulled.descriptor : (pulled.manifest ?? pulled.descriptor) };
    }
  }
}
