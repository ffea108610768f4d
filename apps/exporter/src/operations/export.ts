import { join, resolve } from 'node:path';
import { type FullStore, openLocalStore } from '@lading/content-store';
import { type Compression, type Digest, defaultPlatform, OptionError, type Platform } from '@lading/digest';
import { imageExporter, registryExporter } from '../exporters/image-exporter.js';
import { parseCompression } from '../exporters/image-options.js';
import { createMobyExporter } from '../exporters/moby-exporter.js';
import { dockerExporter, ociExporter } from '../exporters/oci-exporter.js';
import { parseBoolAttr } from '../plugin/attrs.js';
import type { Exporter, ExportLogger, ExportProgress, ExportResult, ExportSource } from '../plugin/types.js';
import { buildExportSource, type ConfigEdits, type LayerInput } from './build-source.js';
import type { LayerCacheSource } from './cache.js';
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
  readonly epoch?: Date;
  /** Layer compression when no output names one (default gzip). */
  readonly compression?: Compression;
  readonly compressionLevel?: number;
  /** Recompress base-image layers whose compression differs (BuildKit's force-compression). */
  readonly forceCompression?: boolean;
  /** The lading store (type=image, registry, and the working store for tarball outputs). */
  readonly storeDir: string;
  readonly mobyRoot: string;
  readonly plugins?: readonly Exporter[];
  readonly cwd?: string;
  readonly progress: ExportProgress &
    Partial<{ bytes(id: string, name: string, current: number, total?: number): void }>;
  readonly logger: ExportLogger;
  readonly signal?: AbortSignal;
  /** Insecure (http or unverified TLS) registry for a docker:// base. */
  readonly insecureBase?: boolean;
  /** Imported --cache-from caches: a layer whose cache key they hold is taken from them, not built. */
  readonly cacheFrom?: readonly LayerCacheSource[];
  /** Compute the layers' cache keys (for --cache-to) even without --cache-from. */
  readonly cacheKeys?: boolean;
}

export interface ExportImageResult {
  readonly outputs: readonly { readonly type: string; readonly response: Record<string, string> }[];
  /** What was exported (layers in the working store), e.g. for a cache export afterwards. */
  readonly source: ExportSource;
  /** The cache key of each input layer, when asked for (cacheKeys or cacheFrom). */
  readonly layerKeys?: readonly Digest[];
}

/** The exporters by type: the built-in ones and the plugins' (a plugin may not replace a built-in). */
export function exporterTable(mobyRoot: string, plugins: readonly Exporter[] = []): Map<string, Exporter> {
  const table = new Map<string, Exporter>();
  for (const e of [
    ociExporter,
    dockerExporter,
    imageExporter,
    registryExporter,
    createMobyExporter({ root: mobyRoot }),
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
  const table = exporterTable(options.mobyRoot, options.plugins);
  const env = { cwd, env: process.env };
  const instances = [];
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
  const platform = options.platform ?? defaultPlatform();
  const base = options.base
    ? await readBaseImage(options.base, work, {
        platform,
        signal,
        ...(options.insecureBase ? { insecure: true } : {}),
      })
    : undefined;

  const cacheFrom = options.cacheFrom ?? [];
  let layerKeys: Digest[] | undefined;
  if (options.cacheKeys || cacheFrom.length > 0) {
    const { layerCacheKeys } = await import('./cache.js');
    layerKeys = await layerCacheKeys(
      options.layers,
      {
        compression: compression ?? 'gzip',
        ...(level !== undefined ? { level } : {}),
        oci: oci ?? true,
        ...(epoch ? { epoch } : {}),
      },
      base?.manifest.digest,
    );
  }
  const keys = layerKeys;
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

  options.progress.start('build', `building ${options.layers.length} layer(s)`);
  const { source } = await buildExportSource({
    store: work,
    layers: options.layers,
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
    onLayer: (i, layer, _fromCache, how) =>
      options.logger.debug(`layer ${i}: ${layer.descriptor.digest} (${how})`),
    onRecompress: (from, to) =>
      options.logger.debug(`base layer ${from.digest} recompressed to ${to.descriptor.digest}`),
  });
  options.progress.done('build');

  const results: { type: string; response: Record<string, string> }[] = [];
  const finalizers: (() => Promise<void>)[] = [];
  for (const { type, instance } of instances) {
    signal.throwIfAborted();
    const result: ExportResult = await instance.export(source, {
      store: work,
      progress: options.progress,
      signal,
      logger: options.logger,
    });
    if (result.finalize) finalizers.push(result.finalize);
    results.push({ type, response: result.response });
  }
  for (const f of finalizers) await f();
  return { outputs: results, source, ...(layerKeys ? { layerKeys } : {}) };
}
