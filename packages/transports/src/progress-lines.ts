import { type Descriptor, isIndexMediaType, isManifestMediaType, MediaType } from '@lading/digest';

/** One blob's progress in bytes (a pull from a registry reports one every MiB or so). */
export interface BlobBytes {
  readonly digest: string;
  readonly bytes: number;
  readonly total: number;
}

/**
 * The line containers/image prints for a blob it copies (`Copying blob sha256:…`, `Copying config sha256:…`), and
 * for one the destination already had (`… skipped: already exists`); none for manifests and indexes.
 */
export function blobLine(d: Descriptor, root: Descriptor, result?: string): string | undefined {
  if (d.digest === root.digest || isManifestMediaType(d.mediaType) || isIndexMediaType(d.mediaType)) {
    return undefined;
  }
  const what =
    d.mediaType === MediaType.ociConfig || d.mediaType === MediaType.dockerConfig ? 'config' : 'blob';
  return `Copying ${what} ${d.digest}${result === 'exists' ? ' skipped: already exists' : ''}`;
}

/** A registry pull's blob events as lines (one when a blob is in, or found present) and byte reports. */
export function pullReporter(
  onProgress: ((message: string) => void) | undefined,
  onBytes: ((event: BlobBytes) => void) | undefined,
): (event: { digest: string; bytes: number; total: number; state: string }) => void {
  return (e) => {
    if (e.state === 'downloading') onBytes?.(e);
    else if (e.state === 'exists') onProgress?.(`Copying blob ${e.digest} skipped: already exists`);
    else if (e.state === 'downloaded') {
      onBytes?.(e);
      onProgress?.(`Copying blob ${e.digest}`);
    }
  };
}
