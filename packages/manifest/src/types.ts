import type { Descriptor } from '@lading/digest';

/** OCI image manifest (v1.1) or Docker schema2 manifest; unknown fields are kept on decode. */
export interface ImageManifest {
  readonly schemaVersion: 2;
  readonly mediaType?: string;
  readonly artifactType?: string;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
  readonly subject?: Descriptor;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly [extra: string]: unknown;
}

/** OCI image index (v1.1) or Docker manifest list. */
export interface ImageIndex {
  readonly schemaVersion: 2;
  readonly mediaType?: string;
  readonly artifactType?: string;
  readonly manifests: readonly Descriptor[];
  readonly subject?: Descriptor;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly [extra: string]: unknown;
}

/** A value with the exact bytes its digest was taken over. */
export interface Encoded<T> {
  readonly value: T;
  readonly bytes: Uint8Array;
  readonly descriptor: Descriptor;
}
