import type { Digest } from '@lading/digest';

/** A history entry, with the image spec's JSON names. `created` is an RFC 3339 string. */
export interface History {
  readonly created?: string;
  readonly created_by?: string;
  readonly author?: string;
  readonly comment?: string;
  readonly empty_layer?: boolean;
}

export interface RootFS {
  readonly type: string;
  /** `null` when there are no layers: what Go writes for an empty slice it never filled. */
  readonly diff_ids: readonly Digest[] | null;
}

/** Docker's healthcheck; durations in nanoseconds. */
export interface Healthcheck {
  readonly Test?: readonly string[];
  readonly Interval?: number;
  readonly Timeout?: number;
  readonly StartPeriod?: number;
  readonly StartInterval?: number;
  readonly Retries?: number;
}

/** The `config` object: the image spec's fields plus Docker's. Unknown fields are kept. */
export interface ContainerConfig {
  readonly User?: string;
  readonly ExposedPorts?: Readonly<Record<string, Record<string, never>>>;
  readonly Env?: readonly string[];
  readonly Entrypoint?: readonly string[];
  readonly Cmd?: readonly string[];
  readonly Volumes?: Readonly<Record<string, Record<string, never>>>;
  readonly WorkingDir?: string;
  readonly Labels?: Readonly<Record<string, string>>;
  readonly StopSignal?: string;
  readonly ArgsEscaped?: boolean;
  readonly Healthcheck?: Healthcheck;
  readonly OnBuild?: readonly string[];
  readonly Shell?: readonly string[];
  readonly [unknown: string]: unknown;
}

/** An image config (OCI image spec, with Docker's additions). Unknown top-level fields are kept. */
export interface ImageConfig {
  readonly created?: string;
  readonly author?: string;
  readonly architecture: string;
  readonly os: string;
  readonly 'os.version'?: string;
  readonly 'os.features'?: readonly string[];
  readonly variant?: string;
  readonly config?: ContainerConfig;
  readonly rootfs: RootFS;
  readonly history?: readonly History[];
  readonly [unknown: string]: unknown;
}

/** What the exporter knows of each layer of the chain, for history entries it has to make up. */
export interface LayerMeta {
  readonly createdAt?: string;
  readonly description?: string;
}
