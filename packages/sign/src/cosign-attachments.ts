import {
  type Descriptor,
  type Digest,
  digestAlgorithm,
  digestEncoded,
  digestOf,
  InvalidInputError,
  MediaType,
  maxSignatureBytes,
} from '@lading/digest';
import { decodeManifest, type Encoded, encodeManifest, type ImageManifest } from '@lading/manifest';
import { cosignSignatureArtifactType, type ImageSignature } from './signature.js';
import { isJsonObject } from './strict-json.js';

export type SigstoreSignature = Extract<ImageSignature, { format: 'sigstore' }>;

/** The tag cosign and containers/image keep an image's signatures under: `sha256-<hex>.sig`. */
export function cosignSignatureTag(subject: Digest): string {
  return `${digestAlgorithm(subject)}-${digestEncoded(subject)}.sig`;
}

export interface Blob {
  readonly descriptor: Descriptor;
  readonly bytes: Uint8Array;
}

/** A signature's layer: its payload as the blob, its annotations on the descriptor. */
export function signatureLayer(sig: SigstoreSignature): Blob {
  const bytes = sig.payload;
  return {
    bytes,
    descriptor: {
      mediaType: sig.mimeType,
      digest: digestOf(bytes),
      size: bytes.byteLength,
      annotations: { ...sig.annotations },
    },
  };
}

function sameSignature(layer: Descriptor, sig: SigstoreSignature): boolean {
  // containers/image `layerMatchesSigstoreSignature`: type, size, digest and exactly the same annotations
  const d = signatureLayer(sig).descriptor;
  if (layer.mediaType !== d.mediaType || layer.size !== d.size || layer.digest !== d.digest) return false;
  const a = layer.annotations ?? {};
  const b = d.annotations ?? {};
  return Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);
}

export interface AttachmentManifest {
  readonly manifest: Encoded<ImageManifest>;
  readonly config: Blob;
  /** The payload blobs the manifest adds (those already there are not repeated). */
  readonly newLayers: readonly Blob[];
}

/**
 * The `.sig` manifest holding `signatures` after the ones already in `existing` (containers/image
 * `putSignaturesToSigstoreAttachments`): an OCI manifest whose layers are the payloads, whose config is an image
 * config listing them as diff_ids. Returns undefined when every signature is there already.
 */
export function withSignatures(
  existing: { manifest: ImageManifest; config: Uint8Array } | undefined,
  signatures: readonly SigstoreSignature[],
): AttachmentManifest | undefined {
  const layers = [...(existing?.manifest.layers ?? [])];
  const newLayers: Blob[] = [];
  for (const sig of signatures) {
    if (layers.some((l) => sameSignature(l, sig))) continue;
    const blob = signatureLayer(sig);
    layers.push(blob.descriptor);
    newLayers.push(blob);
  }
  if (newLayers.length === 0 && existing !== undefined) return undefined;
  let config: Record<string, unknown> = {
    architecture: '',
    os: '',
    config: {},
    rootfs: { type: 'layers', diff_ids: [] },
  };
  if (existing) {
    try {
      const parsed: unknown = JSON.parse(new TextDecoder().decode(existing.config));
      if (isJsonObject(parsed)) config = parsed;
    } catch {
      // an unreadable config is replaced
    }
  }
  config = { ...config, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) } };
  const configBytes = new TextEncoder().encode(JSON.stringify(config));
  const configBlob: Blob = {
    bytes: configBytes,
    descriptor: {
      mediaType: MediaType.ociConfig,
      digest: digestOf(configBytes),
      size: configBytes.byteLength,
    },
  };
  const manifest = encodeManifest({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: configBlob.descriptor,
    layers,
    ...(existing?.manifest.annotations ? { annotations: existing.manifest.annotations } : {}),
  });
  return { manifest, config: configBlob, newLayers };
}

const emptyJson = new TextEncoder().encode('{}');
/** OCI 1.1's empty descriptor, the config of an artifact with nothing to configure. */
export const emptyConfig: Blob = {
  bytes: emptyJson,
  descriptor: { mediaType: 'application/vnd.oci.empty.v1+json', digest: digestOf(emptyJson), size: 2 },
};

/** The same signatures as an OCI 1.1 referrer of `subject` (artifactType cosign's `sig`, the empty config). */
export function referrerManifest(
  subject: Descriptor,
  signatures: readonly SigstoreSignature[],
): Encoded<ImageManifest> {
  return encodeManifest({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    artifactType: cosignSignatureArtifactType,
    config: emptyConfig.descriptor,
    layers: signatures.map((s) => signatureLayer(s).descriptor),
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
  });
}

/** The signatures a `.sig` or referrer manifest holds, read with `readLayer`; other attachments are skipped. */
export async function signaturesOf(
  manifestBytes: Uint8Array,
  readLayer: (d: Descriptor) => Promise<Uint8Array>,
): Promise<SigstoreSignature[]> {
  const m = decodeManifest(manifestBytes).value;
  const out: SigstoreSignature[] = [];
  for (const layer of m.layers) {
    if (layer.size > maxSignatureBytes) {
      throw new InvalidInputError(
        'SIGNATURE_TOO_LARGE',
        `signature payload ${layer.digest}: ${layer.size} bytes, more than a signature can be`,
      );
    }
    out.push({
      format: 'sigstore',
      mimeType: layer.mediaType,
      payload: await readLayer(layer),
      annotations: { ...(layer.annotations ?? {}) },
    });
  }
  return out;
}
