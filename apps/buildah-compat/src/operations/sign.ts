import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Descriptor,
  isIndexMediaType,
  maxManifestBytes,
  NotFoundError,
  OptionError,
} from '@lading/digest';
import { formatReference, parseNormalizedReference, withDefaultTag } from '@lading/reference-store/reference';
import type { ImageSignature, ImageSigner } from '@lading/sign';
import { formatImageReference, type RemoteReference, registryOptions } from '@lading/transports';
import type { TransferOptions } from '../transports/policy-transfer.js';

/** The signing flags of buildah and skopeo: `--sign-by`, `--sign-by-sigstore-private-key`, `--sign-passphrase-file`. */
export interface SignOptions {
  /** A GPG key fingerprint: the `gpg` binary signs (simple signing), with `GNUPGHOME` as it is. */
  readonly signBy?: string;
  /** A cosign private key file (`ENCRYPTED COSIGN PRIVATE KEY` or `ENCRYPTED SIGSTORE PRIVATE KEY`). */
  readonly signBySigstorePrivateKey?: string;
  /** The passphrase's file (its first line), for either key. */
  readonly signPassphraseFile?: string;
  /** skopeo's `--sign-identity`: the name to sign for; needed where the destination has no registry name. */
  readonly signIdentity?: string;
}

async function passphrase(file: string | undefined): Promise<string | undefined> {
  if (file === undefined) return undefined;
  try {
    return (await readFile(file, 'utf8')).split(/\r?\n/)[0] ?? '';
  } catch (cause) {
    throw new NotFoundError('PASSPHRASE_FILE_NOT_FOUND', `--sign-passphrase-file ${file}: cannot read it`, {
      cause,
    });
  }
}

/**
 * The signers the flags ask for, ready before anything is written (a wrong passphrase writes nothing), and
 * refused for destinations that cannot keep them, as containers/image refuses: simple signatures in an OCI layout or
 * an archive, any signature in a docker-archive.
 */
export async function prepareSigners(dest: RemoteReference, options: SignOptions): Promise<ImageSigner[]> {
  if (options.signBy === undefined && options.signBySigstorePrivateKey === undefined) return [];
  const shown = formatImageReference(dest);
  const refuse = (what: string) =>
    new OptionError('SIGN_UNSUPPORTED_DESTINATION', `${shown}: ${what}`, { key: 'sign-by' });
  if (dest.transport === 'docker-archive')
    throw refuse('storing signatures for docker tar files is not supported');
  if (dest.transport === 'oci-archive')
    throw refuse('storing signatures in an oci-archive is not supported; push to oci:DIR or a registry');
  if (dest.transport === 'oci' && options.signBy !== undefined)
    throw refuse(
      'pushing simple signatures for OCI images is not supported (a cosign key is: --sign-by-sigstore-private-key)',
    );
  if (dest.transport !== 'docker' && options.signIdentity === undefined) {
    // containers/image: "Cannot determine canonical Docker reference for destination"
    throw refuse('cannot determine the name to sign for: give --sign-identity REGISTRY/REPO:TAG');
  }
  if (options.signIdentity !== undefined) withDefaultTag(parseNormalizedReference(options.signIdentity));
  const sign = await import('@lading/sign');
  const pass = await passphrase(options.signPassphraseFile);
  const signers: ImageSigner[] = [];
  if (options.signBy !== undefined)
    signers.push(sign.gpgSigner(options.signBy, pass !== undefined ? { passphrase: pass } : {}));
  if (options.signBySigstorePrivateKey !== undefined) {
    const file = options.signBySigstorePrivateKey;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (cause) {
      throw new NotFoundError(
        'SIGN_KEY_NOT_FOUND',
        `--sign-by-sigstore-private-key ${file}: cannot read it`,
        { cause },
      );
    }
    if (!sign.isCosignPrivateKey(text)) {
      throw new OptionError(
        'KEY_UNKNOWN_TYPE',
        `--sign-by-sigstore-private-key ${file}: not a cosign private key (ENCRYPTED COSIGN PRIVATE KEY)`,
        { key: 'sign-by-sigstore-private-key' },
      );
    }
    signers.push(
      sign.cosignSigner(
        await sign.readCosignPrivateKey(text, {
          source: file,
          ...(pass !== undefined ? { passphrase: pass } : {}),
        }),
        `cosign key ${file}`,
      ),
    );
  }
  return signers;
}

/** Signs what was written to `dest` and stores each signature where its transport keeps them. */
export async function signWritten(
  dest: RemoteReference,
  root: Descriptor,
  signers: readonly ImageSigner[],
  options: TransferOptions & SignOptions,
): Promise<void> {
  if (signers.length === 0) return;
  const sign = await import('@lading/sign');
  const identity = options.signIdentity ?? (dest.transport === 'docker' ? dest.ref : undefined);
  const reference = formatReference(withDefaultTag(parseNormalizedReference(identity as string)));
  const announce = () => {
    for (const s of signers) {
      options.onProgress?.(
        s.format === 'simple-signing'
          ? 'Signing manifest using simple signing'
          : 'Signing manifest using a sigstore signature',
      );
    }
  };
  /** Signs the root and, for an index, each of its manifests (containers/image checks every instance it copies). */
  const signAll = async (rootBytes: Uint8Array | undefined) => {
    announce();
    const out: { target: Descriptor; signatures: ImageSignature[] }[] = [];
    for (const target of sign.signingTargets(root, rootBytes)) {
      const signatures: ImageSignature[] = [];
      for (const s of signers) signatures.push(await s.sign(target.digest, reference));
      out.push({ target, signatures });
    }
    return out;
  };
  const isIndex = isIndexMediaType(root.mediaType);
  switch (dest.transport) {
    case 'docker': {
      const { getManifest, RegistryClient } = await import('@lading/push');
      const ref = withDefaultTag(parseNormalizedReference(dest.ref));
      const client = new RegistryClient(ref.registry, registryOptions(options, ref.registry));
      const sig = options.signal ? { signal: options.signal } : {};
      try {
        const registries = await sign.loadRegistriesConfig(
          options.registriesDir !== undefined ? { dir: options.registriesDir } : {},
        );
        const rootBytes = isIndex
          ? (await getManifest(client, ref.repository, root.digest, { ...sig, expected: root })).bytes
          : undefined;
        for (const { target, signatures } of await signAll(rootBytes)) {
          await sign.storeRegistryImageSignatures(client, ref, target, signatures, { registries, ...sig });
        }
      } finally {
        client.close();
      }
      return;
    }
    case 'dir': {
      // dir: keeps the root's signatures as signature-N and an instance's as <hex>.signature-N
      const rootBytes = isIndex ? new Uint8Array(await readFile(join(dest.dir, 'manifest.json'))) : undefined;
      for (const { target, signatures } of await signAll(rootBytes)) {
        if (target.digest === root.digest) await sign.writeDirSignatures(dest.dir, signatures);
        else await sign.writeDirSignatures(dest.dir, signatures, { instance: target.digest });
      }
      return;
    }
    case 'oci': {
      const { openLocalStore, readBlob } = await import('@lading/content-store');
      const layout = await openLocalStore(dest.dir);
      const rootBytes = isIndex ? await readBlob(layout, root, { maxBytes: maxManifestBytes }) : undefined;
      for (const { target, signatures } of await signAll(rootBytes)) {
        await sign.writeLayoutSignatures(
          layout,
          target,
          signatures.filter(
            (s): s is Extract<ImageSignature, { format: 'sigstore' }> => s.format === 'sigstore',
          ),
        );
      }
      return;
    }
    default:
      return;
  }
}
