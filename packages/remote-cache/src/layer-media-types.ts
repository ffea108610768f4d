import { MediaType } from '@lading/digest';

const foreign = 'application/vnd.docker.image.rootfs.foreign.diff.tar';

// BuildKit's util/compression/compression.go (toDockerLayerType, toOCILayerType): the layer types of a cache root
// follow `oci-mediatypes`; anything else is left as it is.
const toDocker: Readonly<Record<string, string>> = {
  [MediaType.ociLayer]: MediaType.dockerLayer,
  [MediaType.dockerLayer]: MediaType.dockerLayer,
  [MediaType.ociLayerGzip]: MediaType.dockerLayerGzip,
  [MediaType.dockerLayerGzip]: MediaType.dockerLayerGzip,
  [foreign]: foreign,
  [MediaType.dockerForeignLayer]: MediaType.dockerForeignLayer,
  [MediaType.ociLayerNondistributable]: foreign,
  [MediaType.ociLayerNondistributableGzip]: MediaType.dockerForeignLayer,
  [MediaType.ociLayerZstd]: MediaType.dockerLayerZstd,
  [MediaType.dockerLayerZstd]: MediaType.dockerLayerZstd,
};

const toOci: Readonly<Record<string, string>> = {
  [MediaType.ociLayer]: MediaType.ociLayer,
  [MediaType.ociLayerNondistributable]: MediaType.ociLayerNondistributable,
  [MediaType.ociLayerNondistributableGzip]: MediaType.ociLayerNondistributableGzip,
  [MediaType.ociLayerNondistributableZstd]: MediaType.ociLayerNondistributableZstd,
  [MediaType.dockerLayer]: MediaType.ociLayer,
  [MediaType.ociLayerGzip]: MediaType.ociLayerGzip,
  [MediaType.dockerLayerGzip]: MediaType.ociLayerGzip,
  [foreign]: MediaType.ociLayerNondistributable,
  [MediaType.dockerForeignLayer]: MediaType.ociLayerNondistributableGzip,
  [MediaType.ociLayerZstd]: MediaType.ociLayerZstd,
  [MediaType.dockerLayerZstd]: MediaType.ociLayerZstd,
};

/** A layer media type in OCI or Docker spelling; other types unchanged. */
export function convertLayerMediaType(mediaType: string, options: { readonly oci: boolean }): string {
  return (options.oci ? toOci : toDocker)[mediaType] ?? mediaType;
}
