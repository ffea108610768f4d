import { join, resolve } from 'node:path';
import { type FullStore, openLocalStore, overlayProvider, type Provider } from '@lading/content-store';
import {
  type Compression,
  type Digest,
  defaultPlatform,
  formatPlatform,
  OptionError,
  type Platform,
} from '@lading/digest';
import type { MobyDriver } from '@lading/docker-engine';
import { checkAnnotations, parseAnnotationAttrs } from '../exporters/annotations.js';
import type { ContainerdChoice } from '../exporters/containerd-export.js';
import { createImageExporters } from '../exporters/image-exporter.js';
import { parseCompression } from '../exporters/image-options.js';
import { localExporter } from '../exporters/local-exporter.js';
import { createMobyExporter } from '../exporters/moby-exporter.js';
import { dockerExporter, ociExporter } from '../exporters/oci-exporter.js';
import { tarExporter } from '../exporters/tar-exporter.js';
import { unknownAttributeWarnings } from '../exporters/unknown-attributes.js';
import { parseBoolAttr } from '../plugin/attrs.js';
import { imageConfigKey, MetadataKey } from '../plugin/keys.js';
import type {
  ExportAttestation,
  Exporter,
  ExporterInstance,
  ExportImage,
  ExportLogger,
  ExportProgress,
  ExportResult,
  ExportSource,
} from '../plugin/types.js';
import type { AttestOptions } from './attestations/attest-options.js';
import { buildExportSource, type ConfigEdits, type LayerInput } from './build-source.js';
import type { LayerCacheSource } from './cache.js';
import { abortLayerTaps, beginLayerTaps } from './layer-taps.js';
import { readBaseImage } from './read-base.js';

export interface OutputRequest {
  readonly type: string;
  readonly attrs: Readonly<Record<string, string>>;
}

export interface ExportImageOptions {
  readonly layers: readonly LayerInput[];
  readonly outputs: readonly OutputRequest[];
  /** `oci:DIR[:TAG]` or `docker://REF`. */
  readonly base?: string;
  readonly config?: Uint8Array;
  readonly edits?: ConfigEdits;
  readonly platform?: Platform;
  /** Several platforms: one image each (the same inputs, plus `platformLayers`), exported as an index. */
  readonly platforms?: readonly Platform[];
  /** Layers of one platform only (keyed `os/arch[/variant]`), on top of the common ones. */
  readonly platformLayers?: Readonly<Record<string, readonly LayerInput[]>>;
  readonly epoch?: Date;
  /** Layer compression when no output names one (default gzip). */
  readonly compression?: Compression;
  readonly compressionLevel?: number;
  /** Recompress base-image layers whose compression differs (BuildKit's force-compression). */
  readonly forceCompression?: boolean;
  /** The lading store (type=image, registry, and the working store for tarball outputs). */
  readonly storeDir: string;
  /** A data-root for type=moby; undefined: the running Docker Engine (DOCKER_HOST, docker context, default socket). */
  readonly mobyRoot?: string | undefined;
  /** The graph driver for a `mobyRoot` without an image store yet (vfs or overlay2; default vfs). */
  readonly mobyDriver?: MobyDriver;
  /** containerd for type=image (and type=registry, address only): see ContainerdChoice. */
  readonly containerd?: ContainerdChoice;
  readonly plugins?: readonly Exporter[];
  readonly cwd?: string;
  readonly progress: ExportProgress &
    Partial<{
      bytes(id: string, name: string, current: number, total?: number): void;
      /** A layer taken from a cache instead of built (marked CACHED, as BuildKit marks hits). */
      cached(id: string, name: string): void;
    }>;
  readonly logger: ExportLogger;
  readonly signal?: AbortSignal;
  /** Insecure (http or unverified TLS) registry for a docker:// base. */
  readonly insecureBase?: boolean;
  /** Imported --cache-from caches: a layer whose cache key they hold is taken from them, not built. */
  readonly cacheFrom?: readonly LayerCacheSource[];
  /** Compute the layers' cache keys (for --cache-to) even without --cache-from. */
  readonly cacheKeys?: boolean;
  /** `--cache-to type=inline`: the image config carries its layers' cache (`moby.buildkit.cache.v0`). */
  readonly inlineCache?: boolean;
  /** `--attest`: an SBOM and/or SLSA provenance attached to each image, as BuildKit attaches them. */
  readonly attest?: AttestOptions;
  /** Where outputs with `dest=-` write (the CLI's stdout); without it they are refused. */
  readonly stdout?: NodeJS.WritableStream;
}

export interface ExportImageResult {
  readonly outputs: readonly { readonly type: string; readonly response: Record<string, string> }[];
  /** What was exported (layers in the working store), e.g. for a cache export afterwards. */
  readonly source: ExportSource;
  /** The cache key of each input layer, when asked for (cacheKeys or cacheFrom). */
  readonly layerKeys?: readonly Digest[];
}

/** The built-in outputs that write manifests (and so take annotations). */
const imageTypes = new Set(['oci', 'docker', 'image', 'registry']);

/** The exporters by type: the built-in ones and the plugins' (a plugin may not replace a built-in). */
export function exporterTable(
  mobyRoot: string | undefined,
  plugins: readonly Exporter[] = [],
  options: { readonly mobyDriver?: MobyDriver; readonly containerd?: ContainerdChoice } = {},
): Map<string, Exporter> {
  const table = new Map<string, Exporter>();
  const images = createImageExporters(options.containerd);
  for (const e of [
    ociExporter,
    dockerExporter,
    images.image,
    images.registry,
    createMobyExporter({ root: mobyRoot, ...(options.mobyDriver ? { driver: options.mobyDriver } : {}) }),
    localExporter,
    tarExporter,
  ]) {
    table.set(e.name, e);
  }
  for (const p of plugins) {
    if (table.has(p.name)) {
      throw new OptionError(
        'PLUGIN_NAME_TAKEN',
        `exporter plugin type ${JSON.stringify(p.name)} is built in; rename the plugin's exporter`,
        {},
      );
    }
    table.set(p.name, p);
  }
  return table;
}

/**
 * Builds an image from the inputs and hands it to each output's exporter. Layers are built once, into the
 * destination layout when the only output is `type=oci,tar=false` (its layer cache makes re-exports cheap),
 * otherwise into the lading store.
 */
export async function exportImage(options: ExportImageOptions): Promise<ExportImageResult> {
  const cwd = options.cwd ?? process.cwd();
  const signal = options.signal ?? new AbortController().signal;
  if (options.outputs.length === 0)
    throw new OptionError('OUTPUT_MISSING', 'no --output given', { key: 'output' });
  const startedOn = new Date();
  const attest = options.attest?.sbom || options.attest?.provenance ? options.attest : undefined;
  if (attest) {
    const { refuseAttestationOutputs } = await import('./attestations/export-attestations.js');
    refuseAttestationOutputs(options.outputs);
  }
  const table = exporterTable(options.mobyRoot, options.plugins, {
    ...(options.mobyDriver ? { mobyDriver: options.mobyDriver } : {}),
    ...(options.containerd ? { containerd: options.containerd } : {}),
  });
  const env = { cwd, env: process.env, ...(options.stdout ? { stdout: options.stdout } : {}) };
  const instances: { type: string; instance: ExporterInstance }[] = [];
  for (const out of options.outputs) {
    const exporter = table.get(out.type);
    if (!exporter) {
      throw new OptionError(
        'OUTPUT_TYPE_UNKNOWN',
        `unknown output type ${JSON.stringify(out.type)}: use ${[...table.keys()].join(', ')} or load a plugin with --exporter-plugin`,
        { key: 'type' },
      );
    }
    instances.push({ type: out.type, instance: await exporter.resolve(out.attrs, env) });
    if (exporter.attributes) {
      for (const w of unknownAttributeWarnings(out.type, out.attrs, exporter.attributes))
        options.logger.warn(w);
    }
    if (imageTypes.has(out.type)) {
      // What BuildKit's image writer refuses, refused before any layer is built.
      const ids = (
        options.platforms?.length ? options.platforms : [options.platform ?? defaultPlatform()]
      ).map(formatPlatform);
      checkAnnotations(parseAnnotationAttrs(out.attrs), {
        oci: parseBoolAttr(out.attrs, 'oci-mediatypes', out.type === 'oci'),
        platformIds: ids,
        multiPlatform: (options.platforms?.length ?? 0) > 1,
      });
    }
  }

  // Layer settings come from the first output that names them (BuildKit builds layers per exporter; one build here).
  let compression = options.compression;
  let level = options.compressionLevel;
  let oci: boolean | undefined;
  let forceCompression = options.forceCompression;
  for (const out of options.outputs) {
    if (forceCompression === undefined && out.attrs['force-compression'] !== undefined)
      forceCompression = parseBoolAttr(out.attrs, 'force-compression');
    compression ??= parseCompression(out.attrs.compression);
    if (level === undefined && out.attrs['compression-level'] !== undefined)
      level = Number(out.attrs['compression-level']);
    if (oci === undefined && out.attrs['oci-mediatypes'] !== undefined)
      oci = parseBoolAttr(out.attrs, 'oci-mediatypes');
  }
  // Into a local Docker Engine nothing gains from compression: BuildKit's moby exporter stores layers plain, and
  // gzip would cost both lading and dockerd CPU on the same machine; a filesystem output (local, tar) only reads
  // the layers back. Any other output keeps gzip.
  const intoEngineOnly = options.outputs.every(
    (o) =>
      o.type === 'moby' ||
      o.type === 'local' ||
      o.type === 'tar' ||
      (o.type === 'docker' && (o.attrs.dest ?? '') === ''),
  );
  compression ??= intoEngineOnly ? 'uncompressed' : undefined;
  const epochAttr = options.outputs
    .map((o) => o.attrs['source-date-epoch'])
    .find((e) => e !== undefined && e !== '');
  const epoch = options.epoch ?? (epochAttr !== undefined ? new Date(Number(epochAttr) * 1000) : undefined);

  const only = options.outputs.length === 1 ? options.outputs[0] : undefined;
  let work: FullStore;
  let cacheDir: string;
  if (
    only?.type === 'oci' &&
    only.attrs.tar !== undefined &&
    !parseBoolAttr(only.attrs, 'tar', true) &&
    only.attrs.dest
  ) {
    const dest = resolve(cwd, only.attrs.dest);
    work = await openLocalStore(dest);
    cacheDir = join(dest, '.lading', 'layer-cache');
  } else {
    work = await openLocalStore(options.storeDir);
    cacheDir = join(options.storeDir, '.lading', 'layer-cache');
  }
  const platforms = options.platforms && options.platforms.length > 0 ? options.platforms : undefined;
  const cacheFrom = options.cacheFrom ?? [];
  const wantKeys = options.cacheKeys || options.inlineCache || cacheFrom.length > 0;
  if (platforms && platforms.length > 1 && wantKeys) {
    throw new OptionError(
      'CACHE_MULTI_PLATFORM',
      '--cache-from/--cache-to work on one platform at a time: export each platform on its own',
      { key: 'cache' },
    );
  }
  let layerKeys: Digest[] | undefined;
  const ctx = { store: work, progress: options.progress, signal, logger: options.logger };
  // Exporters that take a layer while it is built (one image only: a Docker Engine load, a containerd snapshot).
  const taps = platforms && platforms.length > 1 ? [] : await beginLayerTaps(instances, ctx);
  try {
    return await buildAndExport();
  } catch (error) {
    await abortLayerTaps(taps, error);
    throw error;
  }

  async function buildAndExport(): Promise<ExportImageResult> {
    /** Builds the image of one platform: the base for that platform, the common layers, then its own. */
    const buildFor = async (platform: Platform, ownLayers: readonly LayerInput[]) => {
      const layers = [...options.layers, ...ownLayers];
      const base = options.base
        ? await readBaseImage(options.base, work, {
            platform,
            signal,
            ...(options.insecureBase ? { insecure: true } : {}),
          })
        : undefined;
      if (wantKeys) {
        const { layerCacheKeys } = await import('./cache.js');
        layerKeys = await layerCacheKeys(layers, epoch ? { epoch } : {}, base?.manifest.digest, { signal });
      }
      const keys = layerKeys;
      const { ImageSbom } = attest?.sbom
        ? await import('./attestations/image-sbom.js')
        : { ImageSbom: undefined };
      const sbom = ImageSbom
        ? new ImageSbom({
            cacheDir: join(cacheDir, '..', 'sbom-findings'),
            signal,
            onWarning: (w) => options.logger.debug(w),
          })
        : undefined;
      const reuse =
        cacheFrom.length > 0 && keys !== undefined
          ? async (i: number, depth: number) => {
              const { reuseCachedLayer } = await import('./cache.js');
              return reuseCachedLayer(
                cacheFrom,
                keys.slice(i),
                { depth, compression: compression ?? 'gzip' },
                work,
                signal,
              );
            }
          : undefined;
      const { source } = await buildExportSource({
        store: work,
        layers,
        ...(base ? { base } : {}),
        ...(options.config ? { config: options.config } : {}),
        ...(options.edits ? { edits: options.edits } : {}),
        platform,
        compression: compression ?? 'gzip',
        ...(level !== undefined ? { level } : {}),
        ...(forceCompression ? { forceCompression } : {}),
        ...(oci !== undefined ? { oci } : {}),
        ...(epoch ? { epoch } : {}),
        cacheDir,
        signal,
        ...(reuse ? { reuse } : {}),
        ...(sbom ? { observe: (i: number) => sbom.observer(i) } : {}),
        onLayer: (i, layer, _fromCache, how) => {
          if (how !== 'built') sbom?.notWalked(i);
          options.logger.debug(`layer ${i}: ${layer.descriptor.digest} (${how})`);
          if (how !== 'built') {
            const from = how === 'cached' ? 'the local layer cache' : how;
            options.progress.cached?.(`layer ${i}`, `layer ${i} ${layer.descriptor.digest} from ${from}`);
          }
        },
        ...(options.progress.bytes
          ? {
              onBytes: (i: number, uncompressed: number) =>
                options.progress.bytes?.(`layer ${i}`, `layer ${i}`, uncompressed),
            }
          : {}),
        onRecompress: (from, to) =>
          options.logger.debug(`base layer ${from.digest} recompressed to ${to.descriptor.digest}`),
        taps,
      });
      if (!attest) return { source };
      const { imageAttestations } = await import('./attestations/export-attestations.js');
      const attestations = await imageAttestations({
        attest,
        image: source.ref as ExportImage,
        provider: source.provider,
        platform,
        inputs: layers,
        ...(sbom ? { sbom } : {}),
        ...(base && options.base ? { base: { ref: options.base, digest: base.manifest.digest } } : {}),
        ...(options.edits ? { edits: options.edits } : {}),
        ...(options.config ? { config: options.config } : {}),
        outputs: options.outputs,
        ...(epoch ? { epoch } : {}),
        startedOn,
        cwd,
      });
      return { source, attestations };
    };

    let source: ExportSource;
    if (platforms === undefined || platforms.length === 1) {
      const platform = platforms?.[0] ?? options.platform ?? defaultPlatform();
      const own = options.platformLayers?.[formatPlatform(platform)] ?? [];
      options.progress.start('build', `building ${options.layers.length + own.length} layer(s)`);
      const built = await buildFor(platform, own);
      source = built.source;
      if (built.attestations)
        source = { ...source, attestations: { [formatPlatform(platform)]: built.attestations } };
      options.progress.done('build');
      if (options.inlineCache && layerKeys && source.ref) {
        const { inlineLayerCache } = await import('./cache.js');
        const inline = await inlineLayerCache(source, layerKeys, epoch ? { createdAt: epoch } : {});
        if (inline) source = { ...source, ref: { ...source.ref, inlineCache: inline } };
        else
          options.logger.warn('--cache-to type=inline: no layer to cache; the image carries no inline cache');
      }
    } else {
      // One image per platform, exported as an index; a platform's own layers go on top of the common ones.
      const refs: Record<string, ExportImage> = {};
      const metadata: Record<string, Uint8Array> = {};
      const providers: Provider[] = [];
      const listed: { ID: string; Platform: Platform }[] = [];
      const attestations: Record<string, ExportAttestation[]> = {};
      for (const platform of platforms) {
        const id = formatPlatform(platform);
        if (refs[id] !== undefined) {
          throw new OptionError('PLATFORM_TWICE', `--platform lists ${id} twice`, { key: 'platform' });
        }
        const own = options.platformLayers?.[id] ?? [];
        options.progress.start(
          `build ${id}`,
          `building ${options.layers.length + own.length} layer(s) for ${id}`,
        );
        const { source: built, attestations: attached } = await buildFor(platform, own);
        if (attached) attestations[id] = attached;
        options.progress.done(`build ${id}`);
        refs[id] = built.ref as ExportImage;
        metadata[imageConfigKey(id)] = built.metadata[MetadataKey.imageConfig] as Uint8Array;
        const epoch = built.metadata[MetadataKey.epoch];
        if (epoch !== undefined) metadata[`${MetadataKey.epoch}/${id}`] = epoch;
        if (!providers.includes(built.provider)) providers.push(built.provider);
        listed.push({ ID: id, Platform: platform });
      }
      metadata[MetadataKey.platforms] = new TextEncoder().encode(JSON.stringify({ Platforms: listed }));
      source = {
        refs,
        metadata,
        provider: overlayProvider(...providers),
        ...(Object.keys(attestations).length > 0 ? { attestations } : {}),
      };
    }

    const results: { type: string; response: Record<string, string> }[] = [];
    const finalizers: (() => Promise<void>)[] = [];
    for (const { type, instance } of instances) {
      signal.throwIfAborted();
      const result: ExportResult = await instance.export(source, ctx);
      if (result.finalize) finalizers.push(result.finalize);
      results.push({ type, response: result.response });
    }
    for (const f of finalizers) await f();
    return { outputs: results, source, ...(layerKeys ? { layerKeys } : {}) };
  }
}
