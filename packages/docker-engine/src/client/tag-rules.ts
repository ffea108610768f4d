import { InvalidInputError } from '@lading/digest';
import {
  familiarName,
  familiarString,
  parseNormalizedReference,
  type Reference,
  withDefaultTag,
} from '@lading/reference-store/reference';

/**
 * The rules of moby's reference store (`reference/store.go`: AddTag, addReference) for a name an image gets: a
 * digest reference is not a tag, and a repository whose familiar name is `sha256` would read as an image ID
 * (`sha256:<hex>`), so moby refuses both. Returns the reference with its default tag (`app` -> `app:latest`).
 * Tags that exist move to the new image: moby's exporter and `docker tag` add them with force.
 */
export function checkEngineTag(ref: Reference): Reference {
  if (ref.digest !== undefined) {
    throw new InvalidInputError(
      'ENGINE_TAG_DIGEST',
      `refusing to create a tag with a digest reference: ${familiarString(ref)} (give NAME[:TAG])`,
    );
  }
  if (familiarName(ref) === 'sha256') {
    throw new InvalidInputError(
      'ENGINE_TAG_AMBIGUOUS',
      `refusing to create an ambiguous tag using digest algorithm as name: ${familiarString(ref)}`,
    );
  }
  return withDefaultTag(ref);
}

/** Parses a name as Docker does (`app` -> `docker.io/library/app:latest`) and checks it with `checkEngineTag`. */
export function parseEngineTag(name: string): Reference {
  return checkEngineTag(parseNormalizedReference(name));
}
