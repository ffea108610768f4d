import { resolve } from 'node:path';
import { overlayProvider, type Store } from '@lading/content-store';
import {
  type Compression,
  type Descriptor,
  defaultPlatform,
  IntegrityError,
  layerCompression,
  type Platform,
} from '@lading/digest';
import {
  emptyImageConfigBytes,
  formatTime,
  type ImageConfig,
  rewriteImageConfig,
  withCmd,
  withEntrypoint,
  withEnv,
  withExposedPorts,
  withLabels,
  withoutCreated,
  withUser,
  withWorkingDir,
} from '@lading/image-config';
import type { TreeEntry } from '@lading/layer';
import { MetadataKey } from '../plugin/keys.js';
import type { ExportImage, ExportLayer, ExportLayerMeta, ExportSource, LayerTap } from '../plugin/types.js';
import type { BaseImage } from './base-image.js';
import { layerTapFor } from './layer-taps.js';

/** One layer of the image being built. */
export type LayerInput =
  | { readonly kind: 'dir'; readonly path: string }
  | { readonly kind: 'tarball'; readonly path: string }
  | { readonly kind: 'diff'; readonly lower: string; readonly upper: string };

/** Config edits, as the CLI's flags give them. */
export interface ConfigEdits {
  readonly env?: readonly string[];
  readonly entrypoint?: readonly string[];
  readonly cmd?: readonly string[];
  readonly workdir?: string;
  readonly user?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly expose?: readonly string[];
}

export interface BuildSourceOptions {
  /** Where layer blobs are written (an image layout store gets the layer cache beside it). */
  readonly store: Store;
  readonly layers: readonly LayerInput[];
  readonly base?: BaseImage;
  /** A whole config JSON to start from (instead of the base image's or the empty one). */
  readonly config?: Uint8Array;
  readonly edits?: ConfigEdits;
  readonly platform?: Platform;
  readonly compression?: Compression;
  readonly level?: number;
  /**
   * BuildKit's `force-compression`: base-image layers whose compression differs from `compression` are
   * recompressed (their diff IDs stay); without it they are kept as they are.
   */
  readonly forceCompression?: boolean;
  readonly oci?: boolean;
  readonly epoch?: Date;
  /** Layer cache directory (warm re-exports reuse blobs without reading files). */
  readonly cacheDir?: string;
  readonly signal?: AbortSignal;
  /**
   * Asked before each input layer is built: a layer found elsewhere (an imported --cache-from cache), already in
   * `store`, is used as it is and nothing is built. `depth` is the layer's position counted from the bottom, 1-based.
   */
  readonly reuse?: (
    index: number,
    depth: number,
  ) => Promise<{ layer: ExportLayer; from: string } | undefined>;
  /** `how`: built (tar made), cached (the local layer cache answered), or where a reused layer came from. */
  readonly onLayer?: (index: number, layer: ExportLayer, fromCache: boolean, how: string) => void;
  /** Byte progress of the layer being made: tar bytes produced (or read) and blob bytes written so far. */
  readonly onBytes?: (index: number, uncompressed: number, compressed: number) => void;
  /**
   * An observer for the walk that builds input layer `index` from a directory (`TarOptions.observe` of
   * @lading/layer), e.g. an SBOM's; a layer the cache answers is not walked.
   */
  readonly observe?: (index: number) => ((name: string, entry: TreeEntry) => void) | undefined;
  /** Called for each base layer recompressed by `forceCompression`. */
  readonly onRecompress?: (from: Descriptor, to: ExportLayer) => void;
  /** Exporters that take each layer built from a directory while it is made (`ExporterInstance.beginLayers`). */
  readonly taps?: readonly LayerTap[];
}

export interface BuiltSource {
  readonly source: ExportSource;
  /** History entries that belong to the base image. */
  readonly baseHistoryLength: number;
}

/** Applies the CLI's config edits. */
export function applyConfigEdits(config: ImageConfig, edits: ConfigEdits): ImageConfig {
  let c = config;
  if (edits.env && edits.env.length > 0) c = withEnv(c, edits.env);
  if (edits.entrypoint !== undefined) c = withEntrypoint(c, edits.entrypoint);
  if (edits.cmd !== undefined) c = withCmd(c, edits.cmd);
  if (edits.workdir !== undefined) c = withWorkingDir(c, edits.workdir);
  if (edits.user !== undefined) c = withUser(c, edits.user);
  if (edits.labels && Object.keys(edits.labels).length > 0) c = withLabels(c, edits.labels);
  if (edits.expose && edits.expose.length > 0) c = withExposedPorts(c, edits.expose);
  return c;
}

/** The history line of an input layer. */
function describeInput(input: LayerInput): string {
  if (input.kind === 'dir') return `COPY ${input.path} / # lading`;
  if (input.kind === 'tarball') return `ADD ${input.path} / # lading`;
  return `COPY --diff ${input.lower} ${input.upper} / # lading`;
}

/**
 * Builds the layers of the inputs into `store` and returns what an exporter takes: one image whose config is the
 * base image's (or the given config, or the empty one) with the edits applied, and the base layers first.
 */
export async function buildExportSource(options: BuildSourceOptions): Promise<BuiltSource> {
  const { layerFromTarball, buildLayer, buildDiffLayer } = await import('@lading/layer');
  const platform = options.platform ?? defaultPlatform();
  const compression = options.compression ?? 'gzip';
  const common = {
    compression,
    oci: options.oci ?? true,
    ...(options.level !== undefined ? { level: options.level } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const tarOptions = options.epoch !== undefined ? { epoch: options.epoch } : {};
  const built: ExportLayer[] = [];
  const meta: ExportLayerMeta[] = [];
  // The time of the layers this build makes, as Go writes a time: the image is dated from it (or the epoch).
  const createdAt = formatTime(options.epoch ?? new Date());
  const onBytes = options.onBytes;
  const bytesOf = (i: number) =>
    onBytes
      ? {
          onProgress: (p: { uncompressedBytes: number; compressedBytes: number }) =>
            onBytes(i, p.uncompressedBytes, p.compressedBytes),
        }
      : {};
  const baseCount = options.base?.layers.length ?? 0;
  for (const [i, input] of options.layers.entries()) {
    let layer: ExportLayer;
    let fromCache = false;
    let description: string;
    let layerCreatedAt = createdAt;
    const reused = await options.reuse?.(i, baseCount + i + 1);
    if (reused !== undefined) {
      layer = reused.layer;
      description = describeInput(input);
      options.onLayer?.(i, layer, true, reused.from);
      built.push(layer);
      meta.push({ createdAt, description });
      continue;
    }
    const observe = input.kind !== 'tarball' ? options.observe?.(i) : undefined;
    const observing = observe !== undefined ? { observe } : {};
    if (input.kind === 'dir') {
      const taps = options.taps?.length
        ? layerTapFor(options.taps, {
            index: baseCount + i,
            parentDiffIds: [...(options.base?.layers ?? []), ...built].map((l) => l.diffId),
          })
        : undefined;
      let b: Awaited<ReturnType<typeof buildLayer>>;
      try {
        b = await buildLayer(resolve(input.path), options.store, {
          ...common,
          ...observing,
          ...bytesOf(i),
          ...tarOptions,
          ...(options.cacheDir !== undefined ? { cacheDir: options.cacheDir } : {}),
          ...(taps ? { tap: taps.tap } : {}),
        });
      } catch (error) {
        await taps?.abort(error);
        throw error;
      }
      layer = { descriptor: b.descriptor, diffId: b.diffId, uncompressedSize: b.uncompressedSize };
      await taps?.end(layer);
      fromCache = b.fromCache;
      // A cached layer keeps the time it was built (BuildKit's cache record time), so an unchanged rebuild
      // gives the same config and image ID; SOURCE_DATE_EPOCH still wins.
      if (options.epoch === undefined) layerCreatedAt = b.createdAt;
      description = describeInput(input);
    } else if (input.kind === 'tarball') {
      layer = await layerFromTarball(resolve(input.path), options.store, { ...common, ...bytesOf(i) });
      description = describeInput(input);
    } else {
      layer = await buildDiffLayer(resolve(input.lower), resolve(input.upper), options.store, {
        ...common,
        ...observing,
        ...bytesOf(i),
        ...tarOptions,
      });
      description = describeInput(input);
    }
    options.onLayer?.(i, layer, fromCache, fromCache ? 'cached' : 'built');
    built.push(layer);
    meta.push({ createdAt: layerCreatedAt, description });
  }

  // A config that comes in keeps its bytes: the edits rewrite only the members they change. A base image's config
  // loses its `created`, as BuildKit's frontends start from it, so that the export dates the image from this build.
  let configBytes: Uint8Array;
  if (options.config !== undefined) configBytes = options.config;
  else if (options.base !== undefined) configBytes = withoutCreated(options.base.config);
  else configBytes = emptyImageConfigBytes(platform);
  // Without edits this only checks the config (typed errors naming the field) and gives back its bytes.
  const edits = options.edits ?? {};
  configBytes = rewriteImageConfig(configBytes, (c) => applyConfigEdits(c, edits));

  /** force-compression: a base layer in another compression, decompressed and compressed again in one pass. */
  const recompressed = async (l: ExportLayer): Promise<ExportLayer> => {
    if ((layerCompression(l.descriptor.mediaType) ?? 'gzip') === compression || !options.base) return l;
    const redone = await layerFromTarball(
      options.base.provider.read(l.descriptor, options.signal ? { signal: options.signal } : {}),
      options.store,
      common,
    );
    if (redone.diffId !== l.diffId) {
      throw new IntegrityError(
        'BASE_LAYER_DIFFID',
        `base layer ${l.descriptor.digest} decompresses to ${redone.diffId}, but the base config lists ${l.diffId}`,
      );
    }
    const layer = {
      descriptor: redone.descriptor,
      diffId: redone.diffId,
      uncompressedSize: redone.uncompressedSize,
    };
    options.onRecompress?.(l.descriptor, layer);
    return layer;
  };
  const baseLayers: ExportLayer[] = [];
  // One layer at a time: each recompression already uses every core.
  for (const l of options.base?.layers ?? []) {
    baseLayers.push(options.forceCompression ? await recompressed(l) : l);
  }
  const image: ExportImage = {
    config: configBytes,
    layers: [...baseLayers, ...built],
    layerMeta: [...baseLayers.map(() => ({})), ...meta],
    baseHistoryLength: options.base?.historyLength ?? 0,
  };
  const provider = options.base ? overlayProvider(options.store, options.base.provider) : options.store;
  return {
    source: {
      ref: image,
      metadata: {
        [MetadataKey.imageConfig]: configBytes,
        // As BuildKit's frontends hand SOURCE_DATE_EPOCH to the exporters: they clamp the config to it.
        ...(options.epoch !== undefined
          ? {
              [MetadataKey.epoch]: new TextEncoder().encode(
                String(Math.floor(options.epoch.getTime() / 1000)),
              ),
            }
          : {}),
      },
      provider,
    },
    baseHistoryLength: options.base?.historyLength ?? 0,
  };
}
