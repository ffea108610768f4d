import { readFile } from 'node:fs/promises';
import { type Descriptor, maxManifestBytes, NotFoundError, OptionError } from '@lading/digest';
import { formatReference, parseNormalizedReference, withDefaultTag } from '@lading/reference-store/reference';
import type { ImageSignature, SignedIdentity, VerificationResult } from '@lading/sign';
import { type ImageLocation, layoutEntry } from './image-location.js';

export interface VerifyImageOptions {
  /** Public key files: armored or binary OpenPGP keys, or cosign `PUBLIC KEY` PEMs. */
  readonly keys: readonly string[];
  readonly insecure?: boolean;
  readonly registriesDir?: string;
  /**
   * The name signatures must carry. Default for docker://: the reference asked for, under containers/image's
   * `matchRepoDigestOrExact`; for an OCI layout (which has no registry name) no name is checked unless given.
   */
  readonly identity?: string;
  readonly signal?: AbortSignal;
}

export interface VerifyImageResult extends VerificationResult {
  readonly digest: string;
  readonly signatures: number;
}

async function readKeyFiles(files: readonly string[]) {
  if (files.length === 0)
    throw new OptionError('VERIFY_NO_KEY', 'lading verify needs --key PUBLIC_KEY', { key: 'key' });
  const out = [];
  for (const f of files) {
    try {
      out.push({ data: new Uint8Array(await readFile(f)), source: f });
    } catch (cause) {
      throw new NotFoundError('KEY_NOT_FOUND', `--key ${f}: cannot read it`, { cause });
    }
  }
  return out;
}

function identityRule(identity: string): SignedIdentity {
  const ref = parseNormalizedReference(identity);
  return ref.tag !== undefined || ref.digest !== undefined
    ? { type: 'exactReference', dockerReference: identity }
    : { type: 'exactRepository', dockerRepository: identity };
}

/** Reads an image's manifest and signatures (a registry with its lookaside, or an OCI layout) and checks them. */
export async function verifyImage(
  loc: ImageLocation,
  options: VerifyImageOptions,
): Promise<VerifyImageResult> {
  const sign = await import('@lading/sign');
  const keys = await sign.readVerificationKeys(await readKeyFiles(options.keys));
  let manifest: Uint8Array;
  let digest: Descriptor['digest'];
  let signatures: ImageSignature[];
  let reference: string | undefined;
  if (loc.kind === 'docker') {
    const { getManifest, RegistryClient } = await import('@lading/push');
    const ref = withDefaultTag(parseNormalizedReference(loc.ref));
    reference = formatReference(ref);
    const client = new RegistryClient(ref.registry, options.insecure ? { insecure: true } : {});
    try {
      const sig = options.signal ? { signal: options.signal } : {};
      const got = await getManifest(client, ref.repository, ref.digest ?? (ref.tag as string), sig);
      manifest = got.bytes;
      digest = got.descriptor.digest;
      const registries = await sign.loadRegistriesConfig(
        options.registriesDir !== undefined ? { dir: options.registriesDir } : {},
      );
      signatures = await sign.readRegistryImageSignatures(client, ref, digest, { registries, ...sig });
    } finally {
      client.close();
    }
  } else if (loc.kind === 'oci') {
    const { openLocalStore, readBlob } = await import('@lading/content-store');
    const layout = await openLocalStore(loc.dir);
    const { manifests } = await layout.readIndex();
    const entry = layoutEntry(manifests, loc);
    manifest = await readBlob(layout, entry, { maxBytes: maxManifestBytes });
    digest = entry.digest;
    signatures = await sign.readLayoutSignatures(layout, digest);
  } else {
    throw new OptionError(
      'VERIFY_STORE',
      `lading verify ${loc.kind === 'transport' ? loc.ref.transport : loc.name}: only docker://REF and oci:DIR:TAG keep signatures here; verify one of those`,
      { key: 'image' },
    );
  }
  const result = await sign.verifyImageSignatures(signatures, {
    keys,
    manifest,
    reference,
    identity:
      options.identity !== undefined
        ? identityRule(options.identity)
        : reference === undefined
          ? 'any'
          : { type: 'matchRepoDigestOrExact' },
  });
  return { ...result, digest, signatures: signatures.length };
}
