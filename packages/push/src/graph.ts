import { type Descriptor, isIndexMediaType, isManifestMediaType, MediaType } from '@lading/digest';
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

/** Foreign and non-distributable layers with URLs stay where they are: registries refuse or must not store them. */
export function isForeign(desc: Descriptor): boolean {
  return (
    (desc.urls?.length ?? 0) > 0 &&
    (desc.mediaType === MediaType.dockerForeignLayer || desc.mediaType.includes('.nondistributable.'))
  );
}

/** The subject a manifest refers to (OCI 1.1), if any. */
export function subjectOf(bytes: Uint8Array): Descriptor | undefined {
  try {
    const v = JSON.parse(Buffer.from(bytes).toString('utf8')) as { subject?: Descriptor };
    return v.subject && typeof v.subject.digest === 'string' ? v.subject : undefined;
  } catch {
    return undefined;
  }
}

/** artifactType of a manifest for the referrers list: its own, else its config's media type. */
export function artifactTypeOf(bytes: Uint8Array): string | undefined {
  try {
    const v = JSON.parse(Buffer.from(bytes).toString('utf8')) as {
      artifactType?: string;
      config?: { mediaType?: string };
      annotations?: Record<string, string>;
    };
    return v.artifactType ?? v.config?.mediaType;
  } catch {
    return undefined;
  }
}

export function annotationsOf(bytes: Uint8Array): Readonly<Record<string, string>> | undefined {
  try {
    const v = JSON.parse(Buffer.from(bytes).toString('utf8')) as { annotations?: Record<string, string> };
    return v.annotations && typeof v.annotations === 'object' ? v.annotations : undefined;
  } catch {
    return undefined;
  }
}
