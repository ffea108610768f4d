import type { Provider, Store } from '@lading/content-store';
import type { Descriptor, Digest } from '@lading/digest';

/** Bumped when the shapes below change incompatibly; a plugin states the version it was written against. */
export const specificationVersion = 1;

/** A layer as @lading/layer produces it. */
export interface ExportLayer {
  readonly descriptor: Descriptor & { readonly mediaType: string };
  readonly diffId: Digest;
  readonly uncompressedSize: number;
}

/** What the exporter knows of a layer for history entries it has to make up. */
export interface ExportLayerMeta {
  readonly createdAt?: string;
  readonly description?: string;
}

/** One image: its config bytes (undefined: the exporter uses the empty config) and its layers, oldest first. */
export interface ExportImage {
  readonly config?: Uint8Array;
  readonly layers: readonly ExportLayer[];
  readonly layerMeta?: readonly ExportLayerMeta[];
  /** Inline cache metadata (BuildKit's `containerimage.inlinecache`), patched into the config when set. */
  readonly inlineCache?: Uint8Array;
  /** History entries of `config` that belong to a base image (SOURCE_DATE_EPOCH never touches them). */
  readonly baseHistoryLength?: number;
}

/**
 * An attestation of an image, as BuildKit hands it to its exporters (exporter.Attestation, in-toto kind): the
 * exporter wraps the predicate in an in-toto statement whose subject is the image manifest it writes.
 */
export interface ExportAttestation {
  readonly kind: 'in-toto';
  /** Its file name in a build result (`sbom.spdx.json`, `provenance.json`). */
  readonly path: string;
  /** `https://spdx.dev/Document`, `https://slsa.dev/provenance/v0.2`, ... */
  readonly predicateType: string;
  /** The predicate's JSON bytes. */
  readonly predicate: Uint8Array;
}

/**
 * What is exported: one image (`ref`) or one per platform (`refs`, keyed by platform ID, with
 * `metadata['refs.platforms']`), and BuildKit-style metadata (`containerimage.config`,
 * `containerimage.config/<platformID>`, ...). Layer blobs are read through `provider`.
 */
export interface ExportSource {
  readonly ref?: ExportImage;
  readonly refs?: Readonly<Record<string, ExportImage>>;
  readonly metadata: Readonly<Record<string, Uint8Array>>;
  readonly provider: Provider;
  /**
   * Attestations by platform ID (`linux/amd64`), as BuildKit's Source.Attestations; an image with any is written
   * as an index with an attestation manifest per platform.
   */
  readonly attestations?: Readonly<Record<string, readonly ExportAttestation[]>>;
}

export interface ExportProgress {
  /** A named step started ("exporting layers", "writing image sha256:..."). */
  start(id: string, name: string): void;
  update(id: string, current: number, total?: number): void;
  done(id: string, error?: unknown): void;
}

export interface ExportLogger {
  warn(message: string): void;
  debug(message: string): void;
}

export interface ExportContext {
  /** Where blobs are written. */
  readonly store: Store;
  readonly progress: ExportProgress;
  readonly signal: AbortSignal;
  readonly logger: ExportLogger;
}

export interface ExportResult {
  /** BuildKit's response keys (see keys.ts). */
  readonly response: Record<string, string>;
  /** The root written (manifest or index), when there is one. */
  readonly descriptor?: Descriptor;
  /** Work that must run after the build is released (e.g. closing a tarball), run by the caller. */
  readonly finalize?: () => Promise<void>;
}

export interface ExporterInstance {
  readonly name: string;
  /**
   * Optional: called once before any layer is built. A tap returned here sees each layer built from a tree while
   * it is made, so the exporter can send or apply it at the same time (a Docker Engine's load, a containerd
   * snapshot) instead of reading it back from the store afterwards. `export` is still called with the whole source.
   */
  beginLayers?(ctx: ExportContext): Promise<LayerTap | undefined> | LayerTap | undefined;
  export(source: ExportSource, ctx: ExportContext): Promise<ExportResult>;
}

/** What an exporter learns of a layer about to be built from a tree. */
export interface TappedLayer {
  /** Its position in the image, base layers included (0 is the bottom). */
  readonly index: number;
  /** The diff IDs of every layer below it, oldest first. */
  readonly parentDiffIds: readonly Digest[];
  /** The exact length of its uncompressed tar, known from the walk before the first byte. */
  readonly size: number;
}

/** An exporter's view of the layers being built (see `ExporterInstance.beginLayers`). */
export interface LayerTap {
  /** A layer is about to be built: a sink for its uncompressed tar, or undefined to let it be. */
  layer(layer: TappedLayer): Promise<LayerSink | undefined> | LayerSink | undefined;
  /** The build failed or another output did: drop everything taken so far. Never throws. */
  abort(reason: unknown): Promise<void> | void;
}

/** Takes one layer's uncompressed tar bytes, in order, while the layer is built. */
export interface LayerSink {
  /** The next bytes; the build waits for the returned promise (backpressure). The chunk is the sink's to keep. */
  write(chunk: Uint8Array): Promise<void> | void;
  /** Every byte was written: the layer as it was stored. */
  end(layer: ExportLayer): Promise<void> | void;
  /** The layer's build failed: drop its bytes. Never throws. */
  abort(reason: unknown): Promise<void> | void;
}

export interface ExportEnv {
  /** Working directory relative paths resolve against. */
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where `dest=-` writes (the CLI's stdout); an exporter given `dest=-` without it refuses. */
  readonly stdout?: NodeJS.WritableStream;
}

export interface Exporter {
  /** The `type=` value selecting it. */
  readonly name: string;
  readonly specificationVersion?: number;
  /**
   * The attribute keys it understands (a trailing `*` makes a prefix: `annotation*`). When given, every other key
   * of an output is warned about before the build, with a suggestion when one is close (`compresion`).
   */
  readonly attributes?: readonly string[];
  /** Validates the attributes (OptionError naming the key on a bad one) and returns a ready instance. */
  resolve(
    attrs: Readonly<Record<string, string>>,
    env: ExportEnv,
  ): Promise<ExporterInstance> | ExporterInstance;
}

/**
 * A module loaded with `--exporter-plugin` exports `exporters` (or a single `exporter`), or
 * `createExporters(api)`, which receives this plugin API (`@lading/exporter/plugin`) so the plugin needs no
 * lading install of its own and its OptionErrors are the host's.
 */
export interface ExporterPluginModule {
  readonly exporters?: readonly Exporter[];
  readonly exporter?: Exporter;
  readonly createExporters?: (api: PluginApi) => readonly Exporter[] | Promise<readonly Exporter[]>;
}

/** What `createExporters` receives: the values of `@lading/exporter/plugin`. */
export type PluginApi = typeof import('./index.js');
