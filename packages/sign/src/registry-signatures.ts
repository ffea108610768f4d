import type { BlobSource } from '@lading/content-store';
import { type Descriptor, type Digest, isNotFoundError, MediaType } from '@lading/digest';
import { decodeManifest } from '@lading/manifest';
import {
  fetchBlob,
  getManifest,
  listReferrers,
  pushBlob,
  putManifest,
  type RegistryClient,
  repositoryScope,
} from '@lading/push';
import {
  type Blob,
  cosignSignatureTag,
  emptyConfig,
  referrerManifest,
  type SigstoreSignature,
  signatureLayer,
  signaturesOf,
  withSignatures,
} from './cosign-attachments.js';
import { cosignSignatureArtifactType } from './signature.js';

function source(blob: Blob): BlobSource {
  return {
    descriptor: blob.descriptor,
    async *open() {
      yield blob.bytes;
    },
  };
}

async function readSmall(
  client: RegistryClient,
  repository: string,
  d: Descriptor,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const c of fetchBlob(client, repository, d, signal ? { signal } : {})) chunks.push(c);
  return new Uint8Array(Buffer.concat(chunks));
}

/** Whether the registry answers the OCI 1.1 referrers API (Distribution 2.8 does not: 404). */
export async function hasReferrersApi(
  client: RegistryClient,
  repository: string,
  subject: Digest,
  signal?: AbortSignal,
): Promise<boolean> {
  const res = await client.request({
    method: 'GET',
    path: `/v2/${repository}/referrers/${subject}`,
    headers: { accept: MediaType.ociIndex },
    scopes: [repositoryScope(repository, 'pull')],
    ...(signal ? { signal } : {}),
  });
  // the list itself is not needed here: a 200 drops the connection rather than read an unbounded body
  if (res.status === 200) res.body.destroy();
  else res.body.resume();
  const type = (res.headers['content-type'] as string | undefined) ?? '';
  return res.status === 200 && type.startsWith(MediaType.ociIndex);
}

export interface WriteRegistrySignaturesResult {
  /** The `sha256-<hex>.sig` tag, when it changed. */
  readonly tag?: string;
  /** The referrer manifest, when the registry has the referrers API. */
  readonly referrer?: Descriptor;
}

/**
 * Stores cosign signatures of `subject` in the registry as cosign does: added to the `sha256-<hex>.sig` manifest
 * (created, or extended with the signatures it lacks), and, where the registry has the referrers API, also as an
 * OCI 1.1 referrer manifest with `subject`.
 */
export async function writeRegistrySignatures(
  client: RegistryClient,
  repository: string,
  subject: Descriptor,
  signatures: readonly SigstoreSignature[],
  options: { signal?: AbortSignal; referrers?: boolean } = {},
): Promise<WriteRegistrySignaturesResult> {
  const { signal } = options;
  const sig = signal ? { signal } : {};
  if (signatures.length === 0) return {};
  const tag = cosignSignatureTag(subject.digest);
  let existing: { manifest: ReturnType<typeof decodeManifest>['value']; config: Uint8Array } | undefined;
  try {
    const got = await getManifest(client, repository, tag, sig);
    const manifest = decodeManifest(got.bytes).value;
    existing = { manifest, config: await readSmall(client, repository, manifest.config, signal) };
  } catch (err) {
    if (!isNotFoundError(err)) throw err;
  }
  const next = withSignatures(existing, signatures);
  const result: { tag?: string; referrer?: Descriptor } = {};
  if (next) {
    for (const b of [...next.newLayers, next.config]) await pushBlob(client, repository, source(b), sig);
    await putManifest(client, repository, tag, next.manifest, sig);
    result.tag = tag;
  }
  if (options.referrers !== false && (await hasReferrersApi(client, repository, subject.digest, signal))) {
    const referrer = referrerManifest(subject, signatures);
    await pushBlob(client, repository, source(emptyConfig), sig);
    for (const s of signatures) await pushBlob(client, repository, source(signatureLayer(s)), sig);
    await putManifest(client, repository, referrer.descriptor.digest, referrer, sig);
    result.referrer = referrer.descriptor;
  }
  return result;
}

/** The cosign signatures of `subject` in the registry: the `.sig` tag's, then its cosign referrers'. */
export async function readRegistrySignatures(
  client: RegistryClient,
  repository: string,
  subject: Digest,
  options: { signal?: AbortSignal } = {},
): Promise<SigstoreSignature[]> {
  const { signal } = options;
  const sig = signal ? { signal } : {};
  const read = (d: Descriptor) => readSmall(client, repository, d, signal);
  const out: SigstoreSignature[] = [];
  try {
    const got = await getManifest(client, repository, cosignSignatureTag(subject), sig);
    out.push(...(await signaturesOf(got.bytes, read)));
  } catch (err) {
    if (!isNotFoundError(err)) throw err;
  }
  for (const d of await listReferrers(client, repository, subject, {
    ...sig,
    artifactType: cosignSignatureArtifactType,
  })) {
    const got = await getManifest(client, repository, d.digest, { ...sig, expected: d });
    for (const s of await signaturesOf(got.bytes, read)) {
      const dup = out.some(
        (o) =>
          Buffer.compare(o.payload, s.payload) === 0 &&
          JSON.stringify(o.annotations) === JSON.stringify(s.annotations),
      );
      if (!dup) out.push(s);
    }
  }
  return out;
}
