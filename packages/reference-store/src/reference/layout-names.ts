import { AnnotationRefName, type Descriptor, isIndexMediaType, isManifestMediaType } from '@lading/digest';
import { AnnotationImageName } from '../image-store.js';
import { formatReference, parseNormalizedReference, withDefaultTag } from './reference.js';

/** `ref` as the full name containerd records (`hello` -> `docker.io/library/hello:latest`); undefined if not a name. */
function normalizedName(ref: string): string | undefined {
  try {
    return formatReference(withDefaultTag(parseNormalizedReference(ref)));
  } catch {
    return undefined;
  }
}

/**
 * The entries of an OCI layout's index that `oci:DIR:REF` names. First those whose `org.opencontainers.image.ref.name`
 * is REF (what skopeo and umoci match); when none is, those whose `io.containerd.image.name` is REF normalised, as
 * containerd names them: BuildKit and containerd's archive exporter keep only the tag in the ref name
 * (`latest`), so `oci:out:hello` finds the image exported as `hello`.
 */
export function layoutEntriesNamed<T extends Pick<Descriptor, 'annotations'>>(
  manifests: readonly T[],
  ref: string,
): T[] {
  const byRefName = manifests.filter((m) => m.annotations?.[AnnotationRefName] === ref);
  if (byRefName.length > 0) return byRefName;
  const name = normalizedName(ref);
  if (name === undefined) return [];
  return manifests.filter((m) => m.annotations?.[AnnotationImageName] === name);
}

/** What `oci:DIR[:REF]` names in a layout's index: one entry, or why there is none to read. */
export type LayoutPick<T> =
  | { readonly entry: T }
  | { readonly missing: true }
  | { readonly several: number }
  | { readonly unsupported: readonly string[] };

/**
 * The entry `oci:DIR[:REF]` reads, by containers/image's rules (`oci/layout/oci_transport.go`,
 * getManifestDescriptor): without REF, the only entry of the index (`several` when there are more); with REF, the
 * first of the entries REF names (`layoutEntriesNamed`) that is an image manifest or index, OCI or Docker, in index
 * order, as skopeo and buildah read it, even when others carry the same name; `unsupported` when REF names only
 * entries of other media types.
 */
export function pickLayoutEntry<T extends Pick<Descriptor, 'annotations' | 'mediaType'>>(
  manifests: readonly T[],
  ref: string | undefined,
): LayoutPick<T> {
  if (ref === undefined || ref === '') {
    if (manifests.length === 1) return { entry: manifests[0] as T };
    return manifests.length === 0 ? { missing: true } : { several: manifests.length };
  }
  const named = layoutEntriesNamed(manifests, ref);
  const entry = named.find((m) => isManifestMediaType(m.mediaType) || isIndexMediaType(m.mediaType));
  if (entry !== undefined) return { entry };
  return named.length === 0 ? { missing: true } : { unsupported: named.map((m) => m.mediaType) };
}

/** The message containers/image gives for `unsupported`. */
export function unsupportedLayoutTypes(ref: string, mediaTypes: readonly string[]): string {
  return `reference ${JSON.stringify(ref)} matches unsupported manifest MIME types [${mediaTypes.map((t) => JSON.stringify(t)).join(' ')}]`;
}
