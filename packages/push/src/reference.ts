import { parseNormalizedReference, type Reference } from '@lading/reference-store/reference';

/** A reference as a string (`registry.example:5000/team/app:1.0`, `ubuntu`) or already parsed. */
export type ImageReference = Reference;

/** Parses with Docker's normalisation (`ubuntu` -> `docker.io/library/ubuntu`); parsed values pass through. */
export function toImageReference(ref: string | Reference): Reference {
  return typeof ref === 'string' ? parseNormalizedReference(ref) : ref;
}
