import type { RemoteReference } from '@lading/transports';

/** Where an image is read from or written to (the CLI's `parseImageLocation` makes one from `oci:DIR[:TAG]`, ...). */
export type ImageLocation =
  | { readonly kind: 'oci'; readonly dir: string; readonly tag: string | undefined }
  | { readonly kind: 'docker'; readonly ref: string }
  | { readonly kind: 'containerd'; readonly name: string }
  | { readonly kind: 'store'; readonly name: string }
  /** oci-archive:, docker-archive:, dir:, docker-daemon: (lading-buildah's transports, from @lading/transports). */
  | { readonly kind: 'transport'; readonly ref: RemoteReference };
