import { type Ingester, writeBlob } from '@lading/content-store';
import { type Descriptor, type Digest, MediaType, type Platform } from '@lading/digest';
import type { ExportAttestation } from '../../plugin/types.js';
import { imageRefToPurl } from './image-purl.js';
import { encodeStatement, inTotoMediaType } from './statement.js';

/** BuildKit's annotations on an attestation manifest's descriptor in the index (util/attestation). */
export const AttestationAnnotation = {
  referenceType: 'vnd.docker.reference.type',
  referenceDigest: 'vnd.docker.reference.digest',
  predicateType: 'in-toto.io/predicate-type',
} as const;
export const attestationManifestType = 'attestation-manifest';
/** The platform an attestation manifest has in the index, so no runtime picks it. */
export const attestationPlatform: Platform = { architecture: 'unknown', os: 'unknown' };

export interface WrittenBlob {
  readonly descriptor: Descriptor;
  readonly bytes: Uint8Array;
}

export interface WrittenAttestations {
  /** The attestation manifest's descriptor as the index lists it (annotations and unknown/unknown platform). */
  readonly descriptor: Descriptor & { readonly platform: Platform };
  /** Every blob written: the statements, the config, the manifest. */
  readonly blobs: readonly WrittenBlob[];
}

/**
 * The subjects BuildKit gives a statement (exporter/containerimage/writer.go): one per image name, its package URL
 * with the platform, all with the image manifest's digest. BuildKit gives an unnamed image none; lading names it
 * `_` (the name the attestation-storage document shows) so that every statement points at its image.
 */
export function statementSubjects(
  target: Digest,
  names: readonly string[],
  platform: Platform,
): { name: string; digest: Digest }[] {
  const named = names
    .filter((n) => n !== '')
    .map((n) => ({ name: imageRefToPurl('docker', n, platform), digest: target }));
  return named.length > 0 ? named : [{ name: '_', digest: target }];
}

/**
 * Writes the attestation manifest of one image, as BuildKit's commitAttestationsManifest (oci-artifact=false, its
 * default): each statement a layer of media type `application/vnd.in-toto+json` annotated with its predicate type;
 * a config for platform unknown/unknown whose diff IDs are the statements' digests; the manifest indented as Go's
 * json.MarshalIndent writes it.
 */
export async function writeAttestationManifest(
  store: Ingester,
  target: Descriptor,
  attestations: readonly ExportAttestation[],
  options: { readonly names: readonly string[]; readonly platform: Platform },
): Promise<WrittenAttestations> {
  const blobs: WrittenBlob[] = [];
  const subjects = statementSubjects(target.digest, options.names, options.platform);
  const layers = [];
  for (const a of attestations) {
    const bytes = encodeStatement(a.predicateType, subjects, a.predicate);
    const descriptor = await writeBlob(store, bytes, { mediaType: inTotoMediaType });
    blobs.push({ descriptor, bytes });
    layers.push({
      mediaType: inTotoMediaType,
      digest: descriptor.digest,
      size: descriptor.size,
      annotations: { [AttestationAnnotation.predicateType]: a.predicateType },
    });
  }
  const configBytes = new TextEncoder().encode(
    JSON.stringify({
      architecture: attestationPlatform.architecture,
      os: attestationPlatform.os,
      config: {},
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
    }),
  );
  const config = await writeBlob(store, configBytes, { mediaType: MediaType.ociConfig });
  blobs.push({ descriptor: config, bytes: configBytes });
  const manifestBytes = new TextEncoder().encode(
    JSON.stringify(
      {
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        config: { mediaType: MediaType.ociConfig, digest: config.digest, size: config.size },
        layers,
      },
      null,
      2,
    ),
  );
  const manifest = await writeBlob(store, manifestBytes, { mediaType: MediaType.ociManifest });
  blobs.push({ descriptor: manifest, bytes: manifestBytes });
  return {
    descriptor: {
      mediaType: MediaType.ociManifest,
      digest: manifest.digest,
      size: manifest.size,
      annotations: {
        [AttestationAnnotation.referenceDigest]: target.digest,
        [AttestationAnnotation.referenceType]: attestationManifestType,
      },
      platform: attestationPlatform,
    },
    blobs,
  };
}
