import {
  type Descriptor,
  InvalidInputError,
  isIndexMediaType,
  isManifestMediaType,
  MediaType,
} from '@lading/digest';

/**
 * Stopgap until `@lading/manifest` lands: the children of a manifest (config, layers) or an index (manifests),
 * read from its exact bytes. The subject is not a child: a referrer is pushed after its subject, not before.
 */
export function childrenOf(desc: Descriptor, bytes: Uint8Array): Descriptor[] {
  if (!isManifestLike(desc.mediaType)) return [];
  let v: { config?: unknown; layers?: unknown; manifests?: unknown; blobs?: unknown };
  try {
    v = JSON.parse(Buffer.from(bytes).toString('utf8')) as typeof v;
  } catch (err) {
    throw new InvalidInputError('BAD_MANIFEST', `manifest ${desc.digest} is not JSON`, { cause: err });
  }
  const out: Descriptor[] = [];
  const take = (x: unknown) => {
    if (x && typeof x === 'object' && typeof (x as Descriptor).digest === 'string') out.push(x as Descriptor);
  };
  if (isIndexMediaType(desc.mediaType)) {
    if (Array.isArray(v.manifests)) v.manifests.forEach(take);
  } else {
    take(v.config);
    if (Array.isArray(v.layers)) v.layers.forEach(take);
    if (Array.isArray(v.blobs)) v.blobs.forEach(take);
  }
  return out;
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
