import type { Descriptor, Digest } from '@lading/digest';
import type { RegistryClient } from '@lading/push';
import type { Reference } from '@lading/reference-store/reference';
import type { SigstoreSignature } from './cosign-attachments.js';
import { lookasideBase, type RegistriesConfig } from './registries-d.js';
import { readRegistrySignatures, writeRegistrySignatures } from './registry-signatures.js';
import type { ImageSignature } from './signature.js';
import { readLookasideSignatures, writeLookasideSignatures } from './signature-files.js';

export interface StoredSignatures {
  /** Files written into the lookaside (simple signatures). */
  readonly lookaside: readonly string[];
  /** The `.sig` tag written (cosign signatures). */
  readonly tag?: string;
  readonly referrer?: Descriptor;
}

/**
 * Stores the signatures of a pushed image where containers/image and cosign look: simple signatures as
 * `signature-N` files under the `lookaside-staging` (else `lookaside`) of registries.d, cosign signatures in the
 * registry (the `.sig` tag, and a referrer where the registry has the API).
 */
export async function storeRegistryImageSignatures(
  client: RegistryClient,
  ref: Reference,
  subject: Descriptor,
  signatures: readonly ImageSignature[],
  options: { registries: RegistriesConfig; signal?: AbortSignal; home?: string },
): Promise<StoredSignatures> {
  const simple = signatures.filter((s) => s.format === 'simple-signing');
  const cosign = signatures.filter((s): s is SigstoreSignature => s.format === 'sigstore');
  let lookaside: string[] = [];
  if (simple.length > 0) {
    const base = lookasideBase(options.registries, ref, {
      write: true,
      ...(options.home ? { home: options.home } : {}),
    });
    lookaside = await writeLookasideSignatures(base, subject.digest, simple);
  }
  const stored =
    cosign.length > 0
      ? await writeRegistrySignatures(
          client,
          ref.repository,
          subject,
          cosign,
          options.signal ? { signal: options.signal } : {},
        )
      : {};
  return { lookaside, ...stored };
}

/** Every signature of a registry image: the lookaside's (registries.d, read side), then the registry's cosign ones. */
export async function readRegistryImageSignatures(
  client: RegistryClient,
  ref: Reference,
  manifestDigest: Digest,
  options: { registries: RegistriesConfig; signal?: AbortSignal; home?: string },
): Promise<ImageSignature[]> {
  const base = lookasideBase(options.registries, ref, {
    write: false,
    ...(options.home ? { home: options.home } : {}),
  });
  const sig = options.signal ? { signal: options.signal } : {};
  return [
    ...(await readLookasideSignatures(base, manifestDigest, sig)),
    ...(await readRegistrySignatures(client, ref.repository, manifestDigest, sig)),
  ];
}
