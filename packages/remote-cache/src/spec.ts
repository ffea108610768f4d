import type { Digest } from '@lading/digest';

/** BuildKit's cache config media type (the v0 format every BuildKit since 0.1 reads). */
export const cacheConfigMediaType = 'application/vnd.buildkit.cacheconfig.v0';
/** Where the image exporter embeds an inline cache config in the image config. */
export const inlineCacheConfigKey = 'moby.buildkit.cache.v0';
/** Layer descriptor annotations BuildKit writes and reads back. */
export const annotationUncompressed = 'containerd.io/uncompressed';
export const annotationCreatedAt = 'buildkit/createdat';
/** Go's zero time.Time, which BuildKit writes for an unset `createdAt` (it is never omitted). */
export const zeroTime = '0001-01-01T00:00:00Z';
/** The empty gzip layer BuildKit leaves out of cache chains. */
export const emptyGzipLayer =
  'sha256:4f4fb700ef54461cfa02571ae0db9a0dc1e0cdb5577484a6d75e68dc38e8acc1' as Digest;

/** The cache config JSON, field for field (cache/remotecache/v1 spec). */
export interface CacheConfig {
  readonly layers: readonly CacheLayer[];
  readonly records: readonly CacheRecordSpec[];
}

export interface CacheLayer {
  readonly blob: Digest;
  /** Index into `layers`, -1 for a base layer. */
  readonly parent: number;
  readonly annotations?: LayerAnnotations;
}

export interface LayerAnnotations {
  readonly mediaType?: string;
  readonly diffID?: Digest;
  readonly size?: number;
  /** RFC 3339 time; Go's zero time when unset. */
  readonly createdAt: string;
  readonly additional?: Readonly<Record<string, string>>;
}

export interface CacheRecordSpec {
  readonly digest: Digest;
  /** JSON key `layers`: results, each the index of the top layer of its chain. */
  readonly results: readonly CacheResult[];
  /** JSON key `chains`: results made of several independent layer chains (read and kept, never made here). */
  readonly chains: readonly ChainedResult[];
  /** One array per input of the operation; each lists the records that can feed it. */
  readonly inputs: readonly (readonly CacheInput[])[];
}

export interface CacheResult {
  readonly layer: number;
  readonly createdAt: string;
}

export interface ChainedResult {
  readonly layers: readonly number[];
  readonly createdAt: string;
}

export interface CacheInput {
  readonly selector: string;
  /** Index into `records`. */
  readonly link: number;
}
