import { type Compression, OptionError } from '@lading/digest';
import { parseBoolAttr, parseIntAttr } from '../plugin/attrs.js';
import type { ExportImage, ExportSource } from '../plugin/types.js';
import { type AnnotationGroups, parseAnnotationAttrs } from './annotations.js';
import { parseEpochAttr } from './epoch-attr.js';

/** The attributes every image-writing exporter shares (BuildKit's image exporter options). */
export interface ImageOptions {
  readonly names: string[];
  readonly oci: boolean;
  readonly compression: Compression | undefined;
  readonly compressionLevel: number | undefined;
  readonly forceCompression: boolean;
  /** BuildKit's annotation groups (`annotation.K`, `annotation-index.K`, `annotation-manifest[P].K`, ...). */
  readonly annotations: AnnotationGroups;
  readonly epoch: Date | undefined;
  readonly baseHistoryLength?: number;
}

/** `name=a,b` (commas separate names; blanks dropped). */
export function parseNames(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
}

export function parseCompression(value: string | undefined): Compression | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'uncompressed' || value === 'gzip' || value === 'zstd') return value;
  throw new OptionError(
    'COMPRESSION_UNKNOWN',
    `unsupported layer compression type: ${value} (use uncompressed, gzip or zstd)`,
    { key: 'compression' },
  );
}

export function imageOptionsFromAttrs(
  attrs: Readonly<Record<string, string>>,
  options: { ociDefault: boolean },
): ImageOptions {
  const compression = parseCompression(attrs.compression);
  const max = compression === 'zstd' ? 22 : 9;
  const compressionLevel = parseIntAttr(attrs, 'compression-level', {
    min: compression === 'zstd' ? 1 : 0,
    max,
  });
  const annotations = parseAnnotationAttrs(attrs);
  const epoch = parseEpochAttr(attrs);
  return {
    names: parseNames(attrs.name),
    oci: parseBoolAttr(attrs, 'oci-mediatypes', options.ociDefault),
    compression,
    compressionLevel,
    forceCompression: parseBoolAttr(attrs, 'force-compression'),
    annotations,
    epoch,
  };
}

/** The single image of a source (multi-platform sources are refused by single-image exporters). */
export function singleImage(source: ExportSource): ExportImage {
  if (source.ref !== undefined) return source.ref;
  const refs = Object.values(source.refs ?? {});
  if (refs.length === 1 && refs[0] !== undefined) return refs[0];
  if (refs.length === 0) throw new OptionError('EXPORT_NO_REF', 'export requires a reference', {});
  throw new OptionError(
    'EXPORT_MULTI_PLATFORM',
    `this exporter writes one image; the source has ${refs.length} platforms`,
    {},
  );
}
