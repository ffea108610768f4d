import type { Digest } from '@lading/digest';

/** Where a blob stands: bytes moving, or done (already there, mounted from another repository, or uploaded). */
export type BlobState = 'uploading' | 'exists' | 'mounted' | 'uploaded' | 'downloading' | 'downloaded';

/** A progress event for one blob. Carries no URL and no credential. */
export interface BlobProgress {
  readonly digest: Digest;
  readonly bytes: number;
  readonly total: number;
  readonly state: BlobState;
}

export type ProgressListener = (event: BlobProgress) => void;
