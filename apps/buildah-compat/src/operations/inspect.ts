import { readBlob } from '@lading/content-store';
import { parseJson } from '@lading/digest';
import { decodeManifest } from '@lading/manifest';
import type { ContainerState, ImageRecord, Storage } from '../storage/storage.js';

/** A working container as `buildah inspect` shows it (its image config, annotations, base image). */
export function inspectContainer(storage: Storage, c: ContainerState) {
  return {
    Type: 'buildah 0.0.1',
    FromImage: c.fromImage,
    FromImageID: c.fromImageId,
    FromImageDigest: c.fromImageDigest,
    Container: c.name,
    ContainerID: c.id,
    MountPoint: storage.rootfsOf(c),
    ImageAnnotations: {
      'org.opencontainers.image.base.digest': c.fromImageDigest,
      'org.opencontainers.image.base.name': c.fromImage,
      ...c.annotations,
    },
    ImageCreatedBy: c.createdBy,
    OCIv1: c.config,
  };
}

/** An image in local storage as `buildah inspect --type image` shows it. */
export async function inspectImage(storage: Storage, image: ImageRecord) {
  const manifestBytes = await readBlob(storage.store, image.manifest);
  const manifest = decodeManifest(manifestBytes).value;
  const config = parseJson(await readBlob(storage.store, manifest.config), { what: 'image config' });
  return {
    Type: 'buildah 0.0.1',
    FromImage: image.names[0] ?? '',
    FromImageID: image.id,
    FromImageDigest: image.manifest.digest,
    Names: image.names,
    Manifest: parseJson(manifestBytes, { what: 'manifest' }),
    ManifestType: image.manifest.mediaType,
    OCIv1: config,
  };
}
