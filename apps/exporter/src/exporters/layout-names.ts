import { AnnotationRefName, type Descriptor, OptionError } from '@lading/digest';
import { formatReference, parseNormalizedReference, withDefaultTag } from '@lading/reference-store/reference';

/** containerd's name annotation, which BuildKit writes beside the OCI ref name in every layout. */
export const AnnotationImageName = 'io.containerd.image.name';
/** The time BuildKit's OCI exporter stamps on the exported descriptor. */
export const AnnotationCreated = 'org.opencontainers.image.created';

/**
 * The names of a layout export, as BuildKit's OCI exporter normalises them (exporter/oci/export.go
 * normalizedNames): `hello` is `docker.io/library/hello:latest`. A name that is not a reference is refused.
 */
export function normalizedNames(names: readonly string[]): string[] {
  return names.map((n) => {
    try {
      return formatReference(withDefaultTag(parseNormalizedReference(n)));
    } catch (cause) {
      throw new OptionError('NAME_INVALID', `failed to parse ${n}: ${(cause as Error).message}`, {
        key: 'name',
        cause,
      });
    }
  });
}

/**
 * The OCI ref name of a full name, as containerd's archive exporter and BuildKit's client/ociindex take it: the
 * object after the repository (`1` of `docker.io/library/hello:1`), or the whole name for a digest-only one.
 */
export function ociReferenceName(name: string): string {
  const slash = name.lastIndexOf('/');
  const at = name.indexOf('@', slash + 1);
  const base = at >= 0 ? name.slice(0, at) : name;
  const colon = base.lastIndexOf(':');
  if (colon > slash) return name.slice(colon + 1);
  return name;
}

/** One index.json entry per name (the descriptor's own annotations kept), or the descriptor alone with none. */
export function namedEntries(root: Descriptor, names: readonly string[]): Descriptor[] {
  if (names.length === 0) return [root];
  return names.map((n) => ({
    ...root,
    annotations: { ...root.annotations, [AnnotationImageName]: n, [AnnotationRefName]: ociReferenceName(n) },
  }));
}

/**
 * index.json of a layout directory after an export, as BuildKit's client/ociindex Put does: each name replaces the
 * entries with the same ref name and image name; with no name the image is tagged `latest` (a ref name alone).
 */
export function insertNamed(
  manifests: readonly Descriptor[],
  root: Descriptor,
  names: readonly string[],
): Descriptor[] {
  const wanted =
    names.length === 0
      ? [{ image: '', ref: 'latest' }]
      : names.map((n) => ({ image: n, ref: ociReferenceName(n) }));
  let out = [...manifests];
  for (const w of wanted) {
    out = out.filter(
      (m) =>
        (m.annotations?.[AnnotationRefName] ?? '') !== w.ref ||
        (m.annotations?.[AnnotationImageName] ?? '') !== w.image,
    );
    const annotations: Record<string, string> = { ...root.annotations };
    if (w.image !== '') annotations[AnnotationImageName] = w.image;
    annotations[AnnotationRefName] = w.ref;
    out.push({ ...root, annotations });
  }
  return out;
}

/** `time.RFC3339` in UTC, as Go formats it (whole seconds, `Z`). */
export function rfc3339(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}
