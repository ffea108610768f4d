// Placeholder for the agreed seam; the transports engineer owns and replaces this file.
import type { Provider, Store } from '@lading/content-store';
import type { Descriptor, Platform } from '@lading/digest';
import { LadingError } from '@lading/digest';

export type ImageReference =
  | { transport: 'containers-storage'; name: string }
  | { transport: 'oci'; dir: string; ref?: string }
  | { transport: 'oci-archive'; file: string; ref?: string }
  | { transport: 'dir'; dir: string }
  | { transport: 'docker-archive'; file: string; ref?: string }
  | { transport: 'docker'; ref: string };
export type RemoteReference = Exclude<ImageReference, { transport: 'containers-storage' }>;

export interface ImageSource {
  store: Provider;
  manifest: Descriptor;
}

export interface TransferOptions {
  format?: 'oci' | 'v2s2';
  all?: boolean;
  platform?: Platform;
  compression?: 'gzip' | 'zstd' | 'uncompressed';
  compressionLevel?: number;
  creds?: string;
  authFile?: string;
  tlsVerify?: boolean;
  retry?: number;
  retryDelayMs?: number;
  policyPath?: string;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
}

function notYet(what: string): never {
  throw new LadingError('NOT_IMPLEMENTED', `${what} is not implemented yet`);
}

export function parseImageReference(_s: string): ImageReference {
  return notYet('parseImageReference');
}

export function writeImage(
  _dest: RemoteReference,
  _src: ImageSource,
  _opts: TransferOptions,
): Promise<{ manifestDigest: string }> {
  return notYet('writeImage');
}

export function readImage(
  _src: RemoteReference,
  _into: Store,
  _opts: TransferOptions,
): Promise<{ manifest: Descriptor }> {
  return notYet('readImage');
}
