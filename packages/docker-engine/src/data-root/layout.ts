import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Digest, digestEncoded, InvalidInputError } from '@lading/digest';

/** The graph drivers lading writes. */
export type MobyDriver = 'vfs' | 'overlay2';

export const mobyDrivers: readonly MobyDriver[] = ['vfs', 'overlay2'];

export function isMobyDriver(value: string): value is MobyDriver {
  return (mobyDrivers as readonly string[]).includes(value);
}

/** Where dockerd keeps an image under `--data-root` for one graph driver (moby's `daemon/images`, `layer`). */
export interface DataRootPaths {
  readonly root: string;
  readonly driver: MobyDriver;
  /** `image/<driver>`: the image store, layer store and names of this driver. */
  readonly images: string;
  readonly imageContent: string;
  readonly imageMetadata: string;
  /** `image/<driver>/layerdb`: layer metadata by chain ID, and `tmp/` for the transactions. */
  readonly layerdb: string;
  readonly layerdbTmp: string;
  readonly repositories: string;
  /** The driver's own home (`<root>/vfs`, `<root>/overlay2`). */
  readonly driverHome: string;
}

export function dataRootPaths(root: string, driver: MobyDriver): DataRootPaths {
  const images = join(root, 'image', driver);
  return {
    root,
    driver,
    images,
    imageContent: join(images, 'imagedb', 'content', 'sha256'),
    imageMetadata: join(images, 'imagedb', 'metadata', 'sha256'),
    layerdb: join(images, 'layerdb'),
    layerdbTmp: join(images, 'layerdb', 'tmp'),
    repositories: join(images, 'repositories.json'),
    driverHome: join(root, driver),
  };
}

/** `layerdb/sha256/<hex>`: a layer's metadata directory, by chain ID. */
export function layerDir(paths: DataRootPaths, chainId: Digest): string {
  return join(paths.layerdb, 'sha256', digestEncoded(chainId));
}

async function dirNames(path: string): Promise<string[]> {
  try {
    return (await readdir(path, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/**
 * The driver to write with: the one whose `image/<driver>` the root already has (dockerd keeps one image store per
 * driver, and a daemon started with another driver would not see the images), else `wanted`, else vfs. A root
 * that holds another driver's store than `wanted`, or several with none chosen, is refused.
 */
export async function chooseDriver(root: string, wanted: MobyDriver | undefined): Promise<MobyDriver> {
  const existing = await dirNames(join(root, 'image'));
  if (existing.length === 0) return wanted ?? 'vfs';
  if (wanted !== undefined) {
    if (existing.includes(wanted)) return wanted;
    throw new InvalidInputError(
      'DATA_ROOT_DRIVER_MISMATCH',
      `${root} holds images of the ${existing.join(', ')} storage driver, not ${wanted}: a dockerd on it would not see what lading writes there; drop --moby-driver, or give --moby-driver ${existing[0]}`,
    );
  }
  if (existing.length > 1) {
    throw new InvalidInputError(
      'DATA_ROOT_DRIVER_AMBIGUOUS',
      `${root} holds images of several storage drivers (${existing.join(', ')}): choose one with --moby-driver`,
    );
  }
  const only = existing[0] as string;
  if (!isMobyDriver(only)) {
    throw new InvalidInputError(
      'DATA_ROOT_DRIVER_UNSUPPORTED',
      `${root} uses the ${only} storage driver; lading writes data-roots for ${mobyDrivers.join(' and ')} only`,
    );
  }
  return only;
}

/** Makes the directories dockerd makes on its first start, with its modes (it does not mind them being there). */
export async function ensureStoreDirs(paths: DataRootPaths): Promise<void> {
  await mkdir(paths.root, { recursive: true, mode: 0o711 });
  await mkdir(join(paths.root, 'image'), { recursive: true, mode: 0o700 });
  await mkdir(paths.images, { recursive: true, mode: 0o700 });
  await mkdir(paths.imageContent, { recursive: true, mode: 0o700 });
  await mkdir(paths.imageMetadata, { recursive: true, mode: 0o700 });
  await mkdir(paths.layerdb, { recursive: true, mode: 0o700 });
  await mkdir(join(paths.layerdb, 'sha256'), { recursive: true, mode: 0o755 });
  await mkdir(paths.layerdbTmp, { recursive: true, mode: 0o755 });
  await mkdir(paths.driverHome, { recursive: true, mode: 0o710 });
}
