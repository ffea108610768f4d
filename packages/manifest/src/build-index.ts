import { type Descriptor, MediaType, type Platform } from '@lading/digest';
import { encodeIndex } from './encode.js';
import type { Encoded, ImageIndex } from './types.js';

export interface IndexEntry {
  readonly descriptor: Descriptor;
  readonly platform?: Platform;
}

/** A multi-platform index (OCI) or manifest list (Docker) over per-platform manifests, in the given order. */
export function buildIndex(
  entries: readonly IndexEntry[],
  options: { readonly oci: boolean; readonly annotations?: Readonly<Record<string, string>> },
): Encoded<ImageIndex> {
  const manifests = entries.map((e) =>
    e.platform === undefined ? e.descriptor : { ...e.descriptor, platform: e.platform },
  );
  const value: ImageIndex = {
    schemaVersion: 2,
    mediaType: options.oci ? MediaType.ociIndex : MediaType.dockerManifestList,
    manifests,
    ...(options.annotations !== undefined && Object.keys(options.annotations).length > 0
      ? { annotations: options.annotations }
      : {}),
  };
  return encodeIndex(value);
}
