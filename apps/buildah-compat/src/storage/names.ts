import { InvalidInputError } from '@lading/digest';
import { parseReference } from '@lading/reference-store';

/**
 * An image name as buildah stores it: a name without a registry gets `localhost/` (not docker.io, as
 * buildah-commit(1) says), a name without tag or digest gets `:latest`.
 */
export function normalizeImageName(name: string): string {
  if (name === '' || /\s/.test(name)) {
    throw new InvalidInputError('IMAGE_NAME_INVALID', `invalid image name ${JSON.stringify(name)}`);
  }
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  const hasDomain = first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost');
  let full = hasDomain ? name : `localhost/${name}`;
  const lastPart = full.slice(full.lastIndexOf('/') + 1);
  if (!lastPart.includes(':') && !full.includes('@')) full += ':latest';
  try {
    parseReference(full);
  } catch (e) {
    throw new InvalidInputError(
      'IMAGE_NAME_INVALID',
      `invalid image name ${JSON.stringify(name)}: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
  return full;
}

/** The base of a working container's name: the image's last path component without tag or digest. */
export function containerNameBase(imageName: string): string {
  const noDigest = imageName.split('@')[0] as string;
  const last = noDigest.slice(noDigest.lastIndexOf('/') + 1);
  const colon = last.indexOf(':');
  return (colon < 0 ? last : last.slice(0, colon)) || 'image';
}

/** `REPOSITORY` and `TAG` columns of a stored name. */
export function splitName(name: string): { repository: string; tag: string } {
  const at = name.indexOf('@');
  if (at >= 0) return { repository: name.slice(0, at), tag: '<none>' };
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) return { repository: name.slice(0, colon), tag: name.slice(colon + 1) };
  return { repository: name, tag: '<none>' };
}
