import { type FullStore, openLocalStore } from '@lading/content-store';
import {
  AnnotationRefName,
  type Descriptor,
  defaultPlatform,
  isNotFoundError,
  NotFoundError,
  type Platform,
  parseJson,
} from '@lading/digest';
import { type BaseImage, readOciLayoutImage, readStoreImage } from './base-image.js';

export interface InspectedImage {
  readonly name: string;
  readonly descriptor: Descriptor;
  readonly manifest: unknown;
  readonly config: unknown;
  /** The exact bytes (for `inspect --raw`): the manifest shown, its config, and what the name points to. */
  readonly raw?: {
    readonly manifest: Uint8Array;
    readonly config: Uint8Array;
    readonly root?: { readonly descriptor: Descriptor; readonly bytes: Uint8Array };
  };
}

type ReadImage = Pick<BaseImage, 'manifest' | 'manifestBytes' | 'config' | 'root'>;

/** An image read from any location as `inspect` shows it: manifest and config decoded, their bytes kept. */
function inspected(location: string, img: ReadImage): InspectedImage {
  return {
    name: location,
    descriptor: img.manifest,
    manifest: parseJson(img.manifestBytes, { what: `${location}: manifest`, code: 'MANIFEST_INVALID' }),
    config: parseJson(img.config, { what: `${location}: image config`, code: 'CONFIG_INVALID' }),
    raw: { manifest: img.manifestBytes, config: img.config, ...(img.root ? { root: img.root } : {}) },
  };
}

/** Resolves a name in the lading store (exact, or `name:latest`) to its descriptor. */
export async function findStoreImage(store: FullStore, name: string): Promise<Descriptor> {
  const { ImageStore } = await import('@lading/reference-store');
  const images = new ImageStore(store);
  for (const n of name.includes(':') || name.includes('@') ? [name] : [name, `${name}:latest`]) {
    try {
      return (await images.get(n)).target;
    } catch (e) {
      if (!isNotFoundError(e)) throw e;
    }
  }
  throw new NotFoundError(
    'IMAGE_NOT_FOUND',
    `no image named ${JSON.stringify(name)} in the store: see lading ls`,
  );
}

export interface InspectOptions {
  /** For `docker://`: plain HTTP or unverified TLS (`--insecure`, skopeo's `--tls-verify=false`). */
  readonly insecure?: boolean;
  readonly signal?: AbortSignal;
}

/** An image's manifest and config: `oci:DIR[:TAG]`, `docker://REF` (read from the registry), or a name in the store. */
export async function inspectImage(
  location: string,
  storeDir: string,
  platform: Platform = defaultPlatform(),
  options: InspectOptions = {},
): Promise<InspectedImage> {
  if (location.startsWith('docker://')) {
    const { readRemoteImage } = await import('./remote-image.js');
    const img = await readRemoteImage(location.slice('docker://'.length), platform, options);
    return inspected(location, img);
  }
  if (location.startsWith('oci:')) {
    const img = await readOciLayoutImage(location, platform);
    return inspected(location, img);
  }
  const { parseImageReference } = await import('@lading/transports');
  const ref = parseImageReference(location);
  const img =
    ref.transport === 'containers-storage'
      ? await (async () => {
          const store = await openLocalStore(storeDir);
          return readStoreImage(store, await findStoreImage(store, ref.name), platform, location);
        })()
      : await (await import('./transport-image.js')).readTransportImage(ref, platform, options);
  return inspected(location, img);
}

export interface ListedImage {
  readonly name: string;
  readonly digest: string;
  readonly size: number;
  readonly mediaType: string;
}

/** The named images of the store at `storeDir`, or of an `oci:DIR` layout. */
export async function listImages(location: string): Promise<ListedImage[]> {
  const store = await openLocalStore(location);
  const index = await store.readIndex();
  return index.manifests.map((m) => ({
    name: m.annotations?.['io.containerd.image.name'] ?? m.annotations?.[AnnotationRefName] ?? '<none>',
    digest: m.digest,
    size: m.size,
    mediaType: m.mediaType,
  }));
}
