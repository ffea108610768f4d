import { randomBytes } from 'node:crypto';
import { readBlob } from '@lading/content-store';
import {
  type Descriptor,
  type Digest,
  IntegrityError,
  InvalidInputError,
  isIndexMediaType,
  isManifestMediaType,
  maxConfigBytes,
  NotFoundError,
  type Platform,
  parseDigest,
  parseJsonObject,
} from '@lading/digest';
import { chainIds } from './chain-id.js';
import type { ContainerdContentStore } from './content-store.js';
import type { DiffService } from './diff.js';
import { grpcCodeOf, isAlreadyExistsError, isNotFoundError } from './errors.js';
import { prepareExtraction } from './extraction.js';
import type { SnapshotService } from './snapshots.js';

/** The label containerd's client sets on a layer blob once its diff ID is verified by an apply. */
export const UncompressedLabel = 'containerd.io/uncompressed';

/** The label on an image config that keeps its unpacked snapshot chain from containerd's GC. */
export const snapshotGcLabel = (snapshotter: string): string =>
  `containerd.io/gc.ref.snapshot.${snapshotter}`;

/** What unpacking needs of a client: the content store, the snapshots and the diff service, one namespace and lease. */
export interface UnpackTarget {
  readonly content: ContainerdContentStore;
  readonly snapshots: SnapshotService;
  readonly diff: DiffService;
}

export interface UnpackLayer {
  /** The layer blob, in containerd's content store. */
  readonly blob: Descriptor;
  readonly diffId: Digest;
}

export interface UnpackOptions {
  /** `overlayfs` (containerd's default on Linux) or `native`, or any snapshotter containerd has loaded. */
  readonly snapshotter: string;
  readonly signal?: AbortSignal;
  /** After each layer: applied now, or skipped because the snapshot was committed before. */
  readonly onLayer?: (event: { index: number; chainId: Digest; applied: boolean }) => void;
}

export interface UnpackResult {
  /** The chain ID of the top layer: the snapshot a container of this image starts from. */
  readonly chainId: Digest | undefined;
  readonly applied: number;
  readonly skipped: number;
}

/**
 * Applies layers into a snapshotter as containerd's rootfs.ApplyLayer does (rootfs/apply.go): for each layer whose
 * chain ID is not committed yet, Prepare an extraction snapshot on the parent chain, Apply the blob with the diff
 * service, check the diff ID it reports, Commit under the chain ID (a commit someone else made first is fine), and
 * Remove the extraction snapshot on any failure. Applied layer blobs get `containerd.io/uncompressed`.
 */
export async function unpackLayers(
  target: UnpackTarget,
  layers: readonly UnpackLayer[],
  options: UnpackOptions,
): Promise<UnpackResult> {
  const { snapshotter, signal } = options;
  const call = signal ? { signal } : {};
  const chain = chainIds(layers.map((l) => l.diffId));
  let applied = 0;
  for (const [i, layer] of layers.entries()) {
    signal?.throwIfAborted();
    const chainId = chain[i] as Digest;
    const parent = i === 0 ? '' : (chain[i - 1] as string);
    if (await snapshotExists(target.snapshots, snapshotter, chainId, signal)) {
      options.onLayer?.({ index: i, chainId, applied: false });
      continue;
    }
    const { key, mounts } = await prepareExtraction(target.snapshots, snapshotter, chainId, parent, call);
    let committed = false;
    try {
      const result = await target.diff.apply(layer.blob, mounts, call);
      if (result.digest !== layer.diffId) {
        throw new IntegrityError(
          'DIFF_ID_MISMATCH',
          `layer ${layer.blob.digest} unpacked to diff ID ${result.digest}, the config says ${layer.diffId}`,
          { expected: layer.diffId, actual: result.digest },
        );
      }
      try {
        await target.snapshots.commit(snapshotter, chainId, key, call);
        committed = true;
      } catch (error) {
        // Committed by a parallel unpack of the same chain: the layer is there all the same.
        if (!isAlreadyExistsError(error)) throw error;
      }
    } finally {
      if (!committed) await target.snapshots.remove(snapshotter, key).catch(() => {});
    }
    applied++;
    await target.content.updateLabels(layer.blob.digest, { [UncompressedLabel]: layer.diffId });
    options.onLayer?.({ index: i, chainId, applied: true });
  }
  return { chainId: chain[chain.length - 1], applied, skipped: layers.length - applied };
}

async function snapshotExists(
  snapshots: SnapshotService,
  snapshotter: string,
  key: string,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  try {
    await snapshots.stat(snapshotter, key, signal ? { signal } : {});
    return true;
  } catch (error) {
    if (isNotFoundError(error)) return false;
    throw error;
  }
}

/**
 * Fails with NotFoundError when containerd has no snapshotter of that name loaded (its snapshots service answers
 * InvalidArgument "snapshotter not loaded"), before anything is written or named.
 */
export async function checkSnapshotter(
  snapshots: SnapshotService,
  snapshotter: string,
  signal?: AbortSignal,
): Promise<void> {
  try {
    await snapshots.stat(
      snapshotter,
      `lading-probe-${randomBytes(6).toString('hex')}`,
      signal ? { signal } : {},
    );
  } catch (error) {
    if (isNotFoundError(error)) return;
    const cause = (error as { cause?: unknown }).cause;
    if (grpcCodeOf(cause) === 3 || /snapshotter not loaded/.test(String((error as Error).message))) {
      throw new NotFoundError(
        'SNAPSHOTTER_NOT_FOUND',
        `containerd has no snapshotter ${JSON.stringify(snapshotter)} loaded: use overlayfs or native (see ctr plugins ls)`,
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * Unpacks an image that is in containerd's content store, as BuildKit's image exporter does (exporter/
 * containerimage/export.go unpackImage): the manifest for `platform` (from an index) and its config's diff IDs, the
 * layers applied, then the config labelled `containerd.io/gc.ref.snapshot.<snapshotter>=<chainID>` so containerd's GC
 * keeps the snapshots as long as the image.
 */
export async function unpackImage(
  target: UnpackTarget,
  root: Descriptor,
  options: UnpackOptions & { readonly platform: Platform },
): Promise<UnpackResult & { readonly config: Descriptor }> {
  const { decodeIndex, decodeManifest, selectPlatform } = await import('@lading/manifest');
  let desc = root;
  if (isIndexMediaType(desc.mediaType)) {
    const index = decodeIndex(await readBlob(target.content, desc), { expected: desc });
    const picked = selectPlatform(index.value, options.platform);
    if (!picked) {
      throw new NotFoundError(
        'PLATFORM_NOT_FOUND',
        `image ${root.digest} has no manifest for ${options.platform.os}/${options.platform.architecture}`,
      );
    }
    desc = picked;
  }
  if (!isManifestMediaType(desc.mediaType)) {
    throw new InvalidInputError(
      'UNPACK_NOT_AN_IMAGE',
      `${desc.digest} is ${desc.mediaType}, not an image manifest`,
    );
  }
  const manifest = decodeManifest(await readBlob(target.content, desc), { expected: desc }).value;
  const config = parseJsonObject(
    await readBlob(target.content, manifest.config, { maxBytes: maxConfigBytes }),
    {
      what: `image config ${manifest.config.digest}`,
      code: 'CONFIG_INVALID',
    },
  ) as { rootfs?: { diff_ids?: unknown } };
  const diffIds = Array.isArray(config.rootfs?.diff_ids)
    ? config.rootfs.diff_ids.map((d) => parseDigest(String(d)))
    : [];
  if (diffIds.length !== manifest.layers.length) {
    throw new InvalidInputError(
      'ROOTFS_MISMATCH',
      `mismatched image rootfs and manifest layers: ${diffIds.length} diff IDs, ${manifest.layers.length} layers`,
    );
  }
  const result = await unpackLayers(
    target,
    manifest.layers.map((blob, i) => ({ blob, diffId: diffIds[i] as Digest })),
    options,
  );
  if (result.chainId !== undefined) {
    await target.content.updateLabels(manifest.config.digest, {
      [snapshotGcLabel(options.snapshotter)]: result.chainId,
    });
  }
  return { ...result, config: manifest.config };
}
