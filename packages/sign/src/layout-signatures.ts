import { type FullStore, readBlob, writeBlob } from '@lading/content-store';
import { AnnotationRefName, type Descriptor, type Digest, maxManifestBytes } from '@lading/digest';
import { decodeManifest } from '@lading/manifest';
import {
  cosignSignatureTag,
  type SigstoreSignature,
  signaturesOf,
  withSignatures,
} from './cosign-attachments.js';

type LayoutStore = Pick<FullStore, 'readIndex' | 'updateIndex' | 'info' | 'read' | 'writer'>;

// A `.sig` manifest, its config and its payloads are all small JSON: the manifest cap covers each.
const cap = { maxBytes: maxManifestBytes };

/**
 * Keeps cosign signatures of `subject` next to it in an OCI layout: the `.sig` manifest (as a registry holds it) in
 * the layout's blobs, listed in index.json under the ref name `sha256-<hex>.sig`, so that the layout pushed or copied
 * elsewhere carries them, and `skopeo copy oci:DIR:sha256-<hex>.sig` reads them like any image.
 */
export async function writeLayoutSignatures(
  layout: LayoutStore,
  subject: Descriptor,
  signatures: readonly SigstoreSignature[],
): Promise<Descriptor | undefined> {
  if (signatures.length === 0) return undefined;
  const name = cosignSignatureTag(subject.digest);
  const current = (await layout.readIndex()).manifests.find(
    (m) => m.annotations?.[AnnotationRefName] === name,
  );
  let existing: Parameters<typeof withSignatures>[0];
  if (current) {
    const manifest = decodeManifest(await readBlob(layout, current, cap), { expected: current }).value;
    existing = { manifest, config: await readBlob(layout, manifest.config, cap) };
  }
  const next = withSignatures(existing, signatures);
  if (!next) return current;
  for (const b of [...next.newLayers, next.config]) {
    await writeBlob(layout, b.bytes, {
      mediaType: b.descriptor.mediaType,
      expected: { digest: b.descriptor.digest, size: b.descriptor.size },
    });
  }
  const m = next.manifest.descriptor;
  await writeBlob(layout, next.manifest.bytes, {
    mediaType: m.mediaType,
    expected: { digest: m.digest, size: m.size },
  });
  const entry: Descriptor = {
    mediaType: m.mediaType,
    digest: m.digest,
    size: m.size,
    annotations: { [AnnotationRefName]: name },
  };
  await layout.updateIndex((index) => ({
    ...index,
    manifests: [...index.manifests.filter((d) => d.annotations?.[AnnotationRefName] !== name), entry],
  }));
  return entry;
}

/** The cosign signatures an OCI layout keeps for `subject` (none when it has no `sha256-<hex>.sig` entry). */
export async function readLayoutSignatures(
  layout: Pick<FullStore, 'readIndex' | 'info' | 'read'>,
  subject: Digest,
): Promise<SigstoreSignature[]> {
  const name = cosignSignatureTag(subject);
  const entry = (await layout.readIndex()).manifests.find((m) => m.annotations?.[AnnotationRefName] === name);
  if (!entry) return [];
  const bytes = await readBlob(layout, entry, cap);
  return signaturesOf(bytes, (d) => readBlob(layout, d, cap));
}
