import { AnnotationRefName, type Descriptor } from '@lading/digest';
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
