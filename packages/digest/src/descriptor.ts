import type { Digest } from './digest.js';

/** OCI platform object, with the spec's JSON names. */
export interface Platform {
  readonly architecture: string;
  readonly os: string;
  readonly 'os.version'?: string;
  readonly 'os.features'?: readonly string[];
  readonly variant?: string;
  readonly features?: readonly string[];
}

/** OCI content descriptor, with exactly the spec's JSON field names. */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: Digest;
  readonly size: number;
  readonly urls?: readonly string[];
  readonly annotations?: Readonly<Record<string, string>>;
  readonly data?: string;
  readonly platform?: Platform;
  readonly artifactType?: string;
}

/** The annotation that names an image in an OCI layout's index.json. */
export const AnnotationRefName = 'org.opencontainers.image.ref.name';
export const AnnotationCreated = 'org.opencontainers.image.created';
