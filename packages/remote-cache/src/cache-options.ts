import { OptionError } from '@lading/digest';
import type { CacheMode } from './cache-chains.js';

export type CacheCompression = 'gzip' | 'zstd' | 'uncompressed' | 'estargz';

/** The options of BuildKit's `--export-cache` that shape the export (targets take their own keys). */
export interface CacheExportOptions {
  readonly mode?: CacheMode;
  /** OCI index instead of a Docker manifest list (and OCI layer types). Default false, like seed BuildKit. */
  readonly ociMediatypes?: boolean;
  /** One OCI image manifest whose config is the cache config (for registries that refuse lists of blobs). */
  readonly imageManifest?: boolean;
  /** The compression the caller picked its layer variants with; recorded, not applied (blobs are copied as they are). */
  readonly compression?: CacheCompression;
  /** A failed export is reported in the result instead of thrown. */
  readonly ignoreError?: boolean;
}

function bool(key: string, v: string): boolean {
  if (v === 'true' || v === '') return true;
  if (v === 'false') return false;
  throw new OptionError('BAD_CACHE_OPTION', `cache option ${key}="${v}" is not true or false`, { key });
}

/** Reads BuildKit's attributes (`mode`, `oci-mediatypes`, `image-manifest`, `compression`, `ignore-error`); other keys are left for the target. */
export function parseCacheExportOptions(attrs: Readonly<Record<string, string>>): CacheExportOptions {
  const out: {
    mode?: CacheMode;
    ociMediatypes?: boolean;
    imageManifest?: boolean;
    compression?: CacheCompression;
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
  return out;
}
