import {
  type Descriptor,
  isForeignLayer,
  isIndexMediaType,
  isManifestMediaType,
  MediaType,
} from '@lading/digest';
import { decodeAny } from '@lading/manifest';

/**
 * The children of a manifest (config, layers) or an index (manifests), decoded and validated from its exact bytes
 * by `@lading/manifest`. The subject is not a child: a referrer is pushed after its subject, not before.
 */
export function childrenOf(desc: Descriptor, bytes: Uint8Array): Descriptor[] {
  if (!isManifestMediaType(desc.mediaType) && !isIndexMediaType(desc.mediaType)) return [];
  const decoded = decodeAny(bytes, { expected: desc });
  return decoded.kind === 'index'
    ? [...decoded.value.manifests]
    : [decoded.value.config, ...decoded.value.layers];
}

export function isManifestLike(mediaType: string): boolean {
  return (
    isManifestMediaType(mediaType) ||
    isIndexMediaType(mediaType) ||
    mediaType === MediaType.dockerManifestV1Signed
  );
}

/** Foreign and non-distributable layers with URLs stay where they are: `@lading/digest`'s `isForeignLayer`. */
export const isForeign = isForeignLayer;

/** What the referrers list says of a manifest that has a subject (OCI 1.1). */
export interface ReferrerFields {
  readonly subject: Descriptor;
  /** Its own artifactType, else its config's media type. */
  readonly artifactType?: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

/**
 * The subject, artifactType and annotations of a manifest or index, decoded by `@lading/manifest` from its exact
 * bytes; undefined when it has no subject or is not a manifest `@lading/manifest` reads.
 */
export function referrerFieldsOf(desc: Descriptor, bytes: Uint8Array): ReferrerFields | undefined {
  let decoded: ReturnType<typeof decodeAny>;
  try {
    decoded = decodeAny(bytes, { expected: desc });
  } catch {
    return undefined;
  }
  const v = decoded.value;
  if (v.subject === undefined) return undefined;
  const artifactType =
    v.artifactType ?? (decoded.kind === 'manifest' ? decoded.value.config.mediaType : undefined);
  return {
    subject: v.subject,
    ...(artifactType !== undefined ? { artifactType } : {}),
    ...(v.annotations !== undefined ? { annotations: v.annotations } : {}),
  };
}
