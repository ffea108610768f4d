import { type Descriptor, InvalidInputError, NotFoundError } from '@lading/digest';
import { pickLayoutEntry, unsupportedLayoutTypes } from '@lading/reference-store/reference';
import type { RemoteReference } from '@lading/transports';

/** Where an image is read from or written to (the CLI's `parseImageLocation` makes one from `oci:DIR[:TAG]`, ...). */
export type ImageLocation =
  | { readonly kind: 'oci'; readonly dir: string; readonly tag: string | undefined }
  | { readonly kind: 'docker'; readonly ref: string }
  | { readonly kind: 'containerd'; readonly name: string }
  | { readonly kind: 'store'; readonly name: string }
  /** oci-archive:, docker-archive:, dir:, docker-daemon: (lading-buildah's transports, from @lading/transports). */
  | { readonly kind: 'transport'; readonly ref: RemoteReference };

/** The entry `oci:DIR[:TAG]` names (containers/image's rules, `pickLayoutEntry`); `lading copy` and `lading verify` read it so. */
export function layoutEntry(
  manifests: readonly Descriptor[],
  loc: { readonly dir: string; readonly tag?: string | undefined },
): Descriptor {
  const pick = pickLayoutEntry(manifests, loc.tag);
  if ('entry' in pick) return pick.entry;
  if ('unsupported' in pick) {
    throw new InvalidInputError(
      'OCI_IMAGE_UNSUPPORTED_TYPE',
      `${loc.dir}: ${unsupportedLayoutTypes(loc.tag ?? '', pick.unsupported)}`,
    );
  }
  throw new NotFoundError(
    'OCI_IMAGE_NOT_FOUND',
    'several' in pick
      ? `${loc.dir} holds ${pick.several} images: name one as oci:${loc.dir}:TAG`
      : `no image ${loc.tag ?? ''} in ${loc.dir}`,
  );
}
