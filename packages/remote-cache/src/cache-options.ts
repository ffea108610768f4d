import { OptionError, parseBoolAttr, parseGoBool } from '@lading/digest';
import type { CacheMode } from './cache-chains.js';

export type CacheCompression = 'gzip' | 'zstd' | 'uncompressed' | 'estargz';

/** The options of BuildKit's `--export-cache` that shape the export (targets take their own keys). */
export interface CacheExportOptions {
  readonly mode?: CacheMode;
  /**
   * OCI media types: an OCI index (or image manifest) and OCI layer types, instead of a Docker manifest list with
   * Docker layer types. Default true, as BuildKit since v0.8.
   */
  readonly ociMediatypes?: boolean;
  /**
   * One OCI image manifest whose config is the cache config (for registries that refuse an index of blobs).
   * Default true unless `ociMediatypes` is false, as BuildKit since v0.21.
   */
  readonly imageManifest?: boolean;
  /** BuildKit's `compression`: the compression of layers the export has to create (existing blobs are kept). */
  readonly compression?: CacheCompression;
  /** BuildKit's `compression-level`. */
  readonly compressionLevel?: number;
  /** BuildKit's `force-compression`: every layer of the chain in `compression`, existing blobs too. */
  readonly forceCompression?: boolean;
  /** A failed export is reported in the result instead of thrown. */
  readonly ignoreError?: boolean;
}

/** Go's strconv.ParseBool, from `@lading/digest`; re-exported for existing importers. */
export { parseGoBool };

/** A cache attribute's bool: strconv.ParseBool, "" refused unless `emptyIsTrue` (BuildKit's `force-compression`). */
function bool(key: string, v: string, emptyIsTrue = false): boolean {
  return parseBoolAttr({ [key]: v }, key, false, { emptyIsTrue, code: 'BAD_CACHE_OPTION' });
}

/**
 * Reads BuildKit's attributes (`mode`, `oci-mediatypes`, `image-manifest`, `compression`, `compression-level`,
 * `force-compression`, `ignore-error`) and fills BuildKit's defaults for the media types (registry and local
 * exporters: OCI index form off only with `oci-mediatypes=false` or `image-manifest=false`). Other keys are left
 * for the target. Unlike BuildKit, which ignores a bad `mode` or `ignore-error`, every bad value is an error.
 */
export function parseCacheExportOptions(
  attrs: Readonly<Record<string, string>>,
): CacheExportOptions & { readonly ociMediatypes: boolean; readonly imageManifest: boolean } {
  const out: {
    mode?: CacheMode;
    ociMediatypes?: boolean;
    imageManifest?: boolean;
    compression?: CacheCompression;
    compressionLevel?: number;
    forceCompression?: boolean;
    ignoreError?: boolean;
  } = {};
  for (const [key, v] of Object.entries(attrs)) {
    switch (key) {
      case 'mode':
        if (v !== 'min' && v !== 'max') {
          throw new OptionError('BAD_CACHE_OPTION', `cache option mode="${v}" is not min or max`, { key });
        }
        out.mode = v;
        break;
      case 'oci-mediatypes':
        out.ociMediatypes = bool(key, v);
        break;
      case 'image-manifest':
        out.imageManifest = bool(key, v);
        break;
      case 'ignore-error':
        out.ignoreError = bool(key, v);
        break;
      case 'force-compression':
        out.forceCompression = bool(key, v, true);
        break;
      case 'compression-level':
        if (!/^-?\d+$/.test(v)) {
          throw new OptionError(
            'BAD_CACHE_OPTION',
            `cache option compression-level="${v}" is not an integer`,
            {
              key,
            },
          );
        }
        out.compressionLevel = Number(v);
        break;
      case 'compression':
        if (!['gzip', 'zstd', 'uncompressed', 'estargz'].includes(v)) {
          throw new OptionError(
            'BAD_CACHE_OPTION',
            `cache option compression="${v}" is not gzip, zstd, uncompressed or estargz`,
            { key },
          );
        }
        out.compression = v as CacheCompression;
        break;
      default:
        break;
    }
  }
  const ociMediatypes = out.ociMediatypes ?? true;
  const imageManifest = out.imageManifest ?? ociMediatypes;
  if (imageManifest && !ociMediatypes) {
    throw new OptionError(
      'BAD_CACHE_OPTION',
      'image-manifest=true needs OCI media types; drop oci-mediatypes=false',
      { key: 'image-manifest' },
    );
  }
  return { ...out, ociMediatypes, imageManifest };
}
