import type { Compression, Descriptor, Digest } from '@lading/digest';

/** A layer blob and its digests: nothing leaves this package without them. */
export interface Layer {
  /** The blob as stored: compressed digest, size and layer media type. */
  readonly descriptor: Descriptor & { readonly mediaType: string };
  /** sha256 of the uncompressed tar (what an image config lists in `rootfs.diff_ids`). */
  readonly diffId: Digest;
  readonly uncompressedSize: number;
}

export interface LayerProgress {
  /** Tar bytes produced (or read, for a tarball) so far. */
  readonly uncompressedBytes: number;
  /** Blob bytes written to the store so far. */
  readonly compressedBytes: number;
}

export interface LayerWriteOptions {
  /** Default `gzip`. */
  readonly compression?: Compression;
  /** gzip 0-9 (default 3), zstd 1-22 (default 3). */
  readonly level?: number;
  /** OCI media types (default) or Docker's. */
  readonly oci?: boolean;
  /** Blocks compressed at once (default: the number of cores); never changes the bytes. */
  readonly workers?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: LayerProgress) => void;
  /** The ingest ref in the store (default: a fresh random one). */
  readonly ref?: string;
  readonly annotations?: Readonly<Record<string, string>>;
  /**
   * Sees every uncompressed tar chunk, in order, before it is compressed; the write waits for its promise. The
   * chunk stays untouched afterwards only if the producer allocates each chunk anew (as `buildLayer` does when it
   * is given a `tap`).
   */
  readonly tee?: TarTee;
}

/** Takes a layer's uncompressed tar bytes while it is written. */
export type TarTee = (chunk: Uint8Array) => Promise<void> | void;

/**
 * Asked once before a layer's tar is made, with the tar's exact length: returns what takes its bytes (a `TarTee`,
 * each chunk its own to keep), or undefined to leave the layer alone.
 */
export type TarTap = (size: number) => Promise<TarTee | undefined> | TarTee | undefined;
