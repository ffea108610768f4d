import { readFile } from 'node:fs/promises';
import {
  type Descriptor,
  isIndexMediaType,
  maxManifestBytes,
  NotFoundError,
  OptionError,
} from '@lading/digest';
import { formatReference, parseNormalizedReference, withDefaultTag } from '@lading/reference-store/reference';
import type { ImageSigner, RegistriesConfig, StoredSignatures } from '@lading/sign';

/**
 * The passphrase for a key: the first line of `--passphrase-file`, else `$LADING_PASSPHRASE`, else none. It is
 * never printed, logged or put into an error.
 */
export async function readPassphrase(
  file: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  if (file !== undefined) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (cause) {
      throw new NotFoundError('PASSPHRASE_FILE_NOT_FOUND', `--passphrase-file ${file}: cannot read it`, {
        cause,
      });
    }
    return text.split(/\r?\n/)[0] ?? '';
  }
  return env.LADING_PASSPHRASE;
}

/** Loads every `--sign-key FILE` (OpenPGP or cosign, told apart by content) with the one passphrase. */
export async function loadSigners(
  files: readonly string[],
  passphrase: string | undefined,
): Promise<ImageSigner[]> {
  if (files.length === 0) return [];
  const { loadSigningKey } = await import('@lading/sign');
  const signers: ImageSigner[] = [];
  for (const file of files) {
    let data: Uint8Array;
    try {
      data = new Uint8Array(await readFile(file));
    } catch (cause) {
      throw new NotFoundError('SIGN_KEY_NOT_FOUND', `--sign-key ${file}: cannot read it`, { cause });
    }
    signers.push(
      await loadSigningKey(data, { source: file, ...(passphrase !== undefined ? { passphrase } : {}) }),
    );
  }
  return signers;
}

/**
 * Everything signing needs, ready before anything is pushed (containers/image reads registries.d when it opens
 * the destination, before copying): the unlocked keys and the lookaside configuration, read at once.
 */
export async function prepareSigning(
  files: readonly string[],
  options: { passphraseFile?: string | undefined; registriesDir?: string | undefined } = {},
): Promise<{ signers: ImageSigner[]; registries: RegistriesConfig }> {
  const { loadRegistriesConfig } = await import('@lading/sign');
  const [signers, registries] = await Promise.all([
    readPassphrase(options.passphraseFile).then((p) => loadSigners(files, p)),
    loadRegistriesConfig(options.registriesDir !== undefined ? { dir: options.registriesDir } : {}),
  ]);
  return { signers, registries };
}

/** The name as containers/image signs it: with the tag (a digest alongside is dropped), or by digest alone. */
function signedIdentity(name: string) {
  const ref = withDefaultTag(parseNormalizedReference(name));
  const { digest: _digest, ...named } = ref;
  return { ref, reference: formatReference(ref.tag !== undefined ? named : ref) };
}

export interface SignPushedOptions {
  readonly insecure?: boolean;
  /** From `prepareSigning` (the `--registries.d` configuration). */
  readonly registries: RegistriesConfig;
  readonly signal?: AbortSignal;
}

export interface SignedImage extends StoredSignatures {
  readonly reference: string;
  readonly digest: string;
  readonly signers: readonly string[];
  /** The index's manifests signed with it (0 for a single manifest). */
  readonly instances: number;
}

/**
 * Signs an image already pushed as `name` (its root `subject`) with every signer, and stores the signatures where
 * containers/image and cosign look for them (see `@lading/sign`'s `storeRegistryImageSignatures`).
 */
export async function signPushedImage(
  name: string,
  subject: Descriptor,
  signers: readonly ImageSigner[],
  options: SignPushedOptions,
): Promise<SignedImage> {
  if (signers.length === 0) throw new OptionError('SIGN_NO_KEY', 'nothing to sign with', { key: 'sign-key' });
  const { ref, reference } = signedIdentity(name.replace(/^docker:\/\//, ''));
  const [sign, { getManifest, RegistryClient }] = await Promise.all([
    import('@lading/sign'),
    import('@lading/push'),
  ]);
  const { registries } = options;
  const client = new RegistryClient(ref.registry, options.insecure ? { insecure: true } : {});
  const sig = options.signal ? { signal: options.signal } : {};
  try {
    // an index is signed with each of its manifests: containers/image checks every instance it copies
    const rootBytes = isIndexMediaType(subject.mediaType)
      ? (await getManifest(client, ref.repository, subject.digest, { ...sig, expected: subject })).bytes
      : undefined;
    const stored: StoredSignatures[] = [];
    for (const target of sign.signingTargets(subject, rootBytes)) {
      const signatures = [];
      for (const s of signers) signatures.push(await s.sign(target.digest, reference));
      stored.push(
        await sign.storeRegistryImageSignatures(client, ref, target, signatures, { registries, ...sig }),
      );
    }
    const top = stored[0] as StoredSignatures;
    return {
      reference,
      digest: subject.digest,
      signers: signers.map((s) => s.description),
      ...top,
      lookaside: stored.flatMap((s) => s.lookaside),
      instances: stored.length - 1,
    };
  } finally {
    client.close();
  }
}

/** What a signing stored, for --json. */
export function signatureSummary(s: SignedImage): Record<string, unknown> {
  return {
    reference: s.reference,
    signers: s.signers,
    lookaside: s.lookaside,
    ...(s.tag !== undefined ? { tag: s.tag } : {}),
    ...(s.referrer !== undefined ? { referrer: s.referrer.digest } : {}),
  };
}

/** One line per place a signature went. */
export function signatureLines(s: SignedImage): string {
  const lines = [`signed ${s.reference} with ${s.signers.join(', ')}`];
  for (const f of s.lookaside) lines.push(`  simple signature: ${f}`);
  if (s.tag !== undefined)
    lines.push(`  cosign signature: ${s.reference.replace(/[:@][^/]*$/, '')}:${s.tag}`);
  if (s.referrer !== undefined) lines.push(`  referrer: ${s.referrer.digest}`);
  return lines.join('\n');
}

/** Keys that can sign into an OCI layout: cosign keys (containers/image keeps no simple signatures in one). */
export function layoutSigners(signers: readonly ImageSigner[], where: string): ImageSigner[] {
  const usable = signers.filter((s) => s.format === 'sigstore');
  if (usable.length === 0) {
    throw new OptionError(
      'SIGN_UNSUPPORTED_DESTINATION',
      `${where}: an OCI layout keeps cosign signatures only, not simple signatures (sign with a cosign key)`,
      { key: 'sign-key' },
    );
  }
  return usable;
}

export interface SignedLayout {
  readonly reference: string;
  readonly signers: readonly string[];
  /** The `.sig` ref names written into the layout's index. */
  readonly tags: readonly string[];
}

/**
 * Signs an image in an OCI layout directory for `name` (the identity the signature claims) with its cosign keys,
 * each manifest of an index too, and keeps the signatures next to it (`sha256-<hex>.sig` in index.json), as
 * `lading-buildah push --sign-by-sigstore-private-key` does for `oci:DIR`.
 */
export async function signLayoutImage(
  dir: string,
  name: string,
  subject: Descriptor,
  signers: readonly ImageSigner[],
): Promise<SignedLayout> {
  const usable = layoutSigners(signers, `oci:${dir}`);
  const { reference } = signedIdentity(name);
  const [sign, { openLocalStore, readBlob }] = await Promise.all([
    import('@lading/sign'),
    import('@lading/content-store'),
  ]);
  const layout = await openLocalStore(dir);
  const rootBytes = isIndexMediaType(subject.mediaType)
    ? await readBlob(layout, subject, { maxBytes: maxManifestBytes })
    : undefined;
  const tags: string[] = [];
  for (const target of sign.signingTargets(subject, rootBytes)) {
    const signatures = [];
    for (const s of usable) signatures.push(await s.sign(target.digest, reference));
    await sign.writeLayoutSignatures(
      layout,
      target,
      signatures.filter((x) => x.format === 'sigstore'),
    );
    tags.push(sign.cosignSignatureTag(target.digest));
  }
  return { reference, signers: usable.map((s) => s.description), tags };
}
