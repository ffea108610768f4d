import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type OciIndex, readBlob } from '@lading/content-store';
import { type Descriptor, maxManifestBytes, parseJsonObject } from '@lading/digest';
import type { RegistryClientOptions } from '@lading/push';
import { formatReference, parseNormalizedReference, withDefaultTag } from '@lading/reference-store/reference';
import type { ImageSignature } from '@lading/sign';
import { findInLayout, formatImageReference, type ImageReference, layoutProvider } from '@lading/transports';
import type { PolicyImage } from './signature-requirements.js';

export interface PolicyImageOptions {
  readonly registry?: RegistryClientOptions;
  /** buildah's `--registries-conf-dir`: the registries.d holding lookaside locations. */
  readonly registriesDir?: string;
  readonly signal?: AbortSignal;
}

/** A policy image that also says which manifest it judged, so the copy reads that one and no other. */
export interface OpenedPolicyImage extends PolicyImage {
  /** The manifest the policy looked at (undefined when it looked at none). */
  judged(): Descriptor | undefined;
  close(): void;
}

/**
 * What the signature policy sees of a copy's source (containers/image's UnparsedImage): the manifest, read once,
 * and the signatures its transport keeps: a registry's lookaside (registries.d) and cosign `.sig` tag and
 * referrers, a `dir:` image's `signature-N` files, an OCI layout's `sha256-<hex>.sig` entry. Archives and the
 * local storage keep none. Only a `docker://` image has a registry name to match signed identities against.
 */
export function openPolicyImage(ref: ImageReference, options: PolicyImageOptions = {}): OpenedPolicyImage {
  let judged: Descriptor | undefined;
  const shown = formatImageReference(ref);
  const none = async (): Promise<readonly ImageSignature[]> => [];
  const noManifest = async (): Promise<Uint8Array> => new Uint8Array();
  switch (ref.transport) {
    case 'docker': {
      const parsed = withDefaultTag(parseNormalizedReference(ref.ref));
      let client: import('@lading/push').RegistryClient | undefined;
      let fetched: Promise<{ bytes: Uint8Array; descriptor: Descriptor }> | undefined;
      const sig = options.signal ? { signal: options.signal } : {};
      const manifest = () => {
        fetched ??= (async () => {
          const { getManifest, RegistryClient } = await import('@lading/push');
          client ??= new RegistryClient(parsed.registry, options.registry ?? {});
          const got = await getManifest(
            client,
            parsed.repository,
            parsed.digest ?? (parsed.tag as string),
            sig,
          );
          judged = got.descriptor;
          return got;
        })();
        return fetched;
      };
      return {
        dockerReference: formatReference(parsed),
        manifest: async () => (await manifest()).bytes,
        async signatures() {
          const { descriptor } = await manifest();
          const { loadRegistriesConfig, readRegistryImageSignatures } = await import('@lading/sign');
          const registries = await loadRegistriesConfig(
            options.registriesDir !== undefined ? { dir: options.registriesDir } : {},
          );
          return readRegistryImageSignatures(
            client as NonNullable<typeof client>,
            parsed,
            descriptor.digest,
            { registries, ...sig },
          );
        },
        judged: () => judged,
        close: () => client?.close(),
      };
    }
    case 'dir':
      return {
        dockerReference: undefined,
        manifest: () => readFile(join(ref.dir, 'manifest.json')).then((b) => new Uint8Array(b)),
        signatures: async () => (await import('@lading/sign')).readDirSignatures(ref.dir),
        judged: () => undefined,
        close: () => {},
      };
    case 'oci': {
      const provider = layoutProvider(ref.dir);
      let root: Promise<Descriptor> | undefined;
      const find = () => {
        root ??= findInLayout(ref.dir, ref.ref, shown).then((d) => {
          judged = d;
          return d;
        });
        return root;
      };
      return {
        dockerReference: undefined,
        manifest: async () => readBlob(provider, await find(), { maxBytes: maxManifestBytes }),
        async signatures() {
          const subject = await find();
          const layout = {
            ...provider,
            info: provider.info.bind(provider),
            read: provider.read.bind(provider),
            readIndex: async () =>
              parseJsonObject(await readFile(join(ref.dir, 'index.json')), {
                what: `${ref.dir}/index.json`,
                code: 'TRANSPORT_BAD_JSON',
              }) as unknown as OciIndex,
          };
          return (await import('@lading/sign')).readLayoutSignatures(layout, subject.digest);
        },
        judged: () => judged,
        close: () => {},
      };
    }
    case 'containers-storage': {
      let name: string | undefined;
      try {
        name = formatReference(withDefaultTag(parseNormalizedReference(ref.name)));
      } catch {
        name = undefined;
      }
      return {
        dockerReference: name,
        manifest: noManifest,
        signatures: none,
        judged: () => undefined,
        close: () => {},
      };
    }
    default:
      return {
        dockerReference: undefined,
        manifest: noManifest,
        signatures: none,
        judged: () => undefined,
        close: () => {},
      };
  }
}
