import { type Descriptor, isIndexMediaType, isManifestMediaType } from '@lading/digest';
import { decodeIndex } from '@lading/manifest';

/**
 * What to sign for an image: the root, and for an index every manifest it lists. containers/image checks the
 * policy on each instance it copies from a list (its own signatures are looked up by the instance's digest), so
 * a list signed only at the top does not pass `skopeo copy --all` under a signedBy policy.
 */
export function signingTargets(root: Descriptor, rootBytes: Uint8Array | undefined): Descriptor[] {
  if (!isIndexMediaType(root.mediaType) || rootBytes === undefined) return [root];
  const children = decodeIndex(rootBytes, { expected: root }).value.manifests.filter(
    (d) => isManifestMediaType(d.mediaType) || isIndexMediaType(d.mediaType),
  );
  return [root, ...children];
}
