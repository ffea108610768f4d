import { resolve } from 'node:path';
import type { Provider } from '@lading/content-store';
import type { Digest } from '@lading/digest';
import {
  chainIds,
  familiarString,
  type Reference,
  ReferenceStore,
  validateTag,
} from '@lading/reference-store';
import type { GraphDriver } from './graph-driver.js';
import { checkImageConfig, writeImageConfig } from './image-config.js';
import { assertDataRootIdle } from './in-use.js';
import {
  type DataRootLayer,
  type LayerProgress,
  type RegisteredLayer,
  registerLayers,
  removeStaleTransactions,
} from './layer-store.js';
import {
  chooseDriver,
  type DataRootPaths,
  dataRootPaths,
  ensureStoreDirs,
  type MobyDriver,
} from './layout.js';
import { overlay2Driver } from './overlay2-driver.js';
import { vfsDriver } from './vfs-driver.js';

/** An image for a data-root: its config bytes (the image ID is their digest) and its layers, lowest first. */
export interface DataRootImage {
  readonly config: Uint8Array;
  readonly layers: readonly DataRootLayer[];
}

export type DataRootProgress =
  | ({ readonly kind: 'layer' } & LayerProgress)
  | { readonly kind: 'image'; readonly id: Digest }
  | { readonly kind: 'tag'; readonly name: string };

export interface WriteDataRootOptions {
  /** Reads the layer blobs. */
  readonly provider: Provider;
  /** Tags for the image (`name` alone is `name:latest`); an existing tag moves, as `docker load` moves it. */
  readonly names?: readonly (string | Reference)[];
  /** The graph driver for a root that has no image store yet (default vfs); it must match one the root has. */
  readonly driver?: MobyDriver;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: DataRootProgress) => void;
}

export interface DataRootResult {
  /** The image ID: the config's digest. */
  readonly id: Digest;
  readonly driver: MobyDriver;
  readonly layers: readonly RegisteredLayer[];
  /** The tags written, in their familiar form. */
  readonly names: readonly string[];
}

export function openGraphDriver(paths: DataRootPaths): GraphDriver {
  return paths.driver === 'vfs' ? vfsDriver(paths.driverHome) : overlay2Driver(paths.driverHome);
}

/**
 * Writes an image into a stopped dockerd's data-root (`dockerd --data-root DIR`) as `docker load` would have left
 * it with dockerd 20.10: the layers in the layer store and the driver's directories, the config in the image
 * store, the names in repositories.json. Everything is checked before anything is written (names, config, a
 * daemon running on the root); layers the store has already (by chain ID) are reused; each file and directory
 * appears whole, layers before the config and the config before its names, so a writer killed at any point leaves
 * a root dockerd starts on.
 */
export async function writeDataRootImage(
  root: string,
  image: DataRootImage,
  options: WriteDataRootOptions,
): Promise<DataRootResult> {
  options.signal?.throwIfAborted();
  const dir = resolve(root);
  const names = (options.names ?? []).map((n) => validateTag(n));
  const diffIds = image.layers.map((l) => l.diffId);
  checkImageConfig(image.config, diffIds);
  await assertDataRootIdle(dir);
  const driverName = await chooseDriver(dir, options.driver);
  const paths = dataRootPaths(dir, driverName);
  await ensureStoreDirs(paths);
  const driver = openGraphDriver(paths);
  await driver.removeStale();
  await removeStaleTransactions(paths);
  const layers = await registerLayers(paths, driver, image.layers, chainIds(diffIds), options.provider, {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress
      ? { onProgress: (p: LayerProgress) => options.onProgress?.({ kind: 'layer', ...p }) }
      : {}),
  });
  options.signal?.throwIfAborted();
  const id = await writeImageConfig(paths, image.config);
  options.onProgress?.({ kind: 'image', id });
  const written: string[] = [];
  if (names.length > 0) {
    const tags = await ReferenceStore.open(paths.repositories);
    for (const name of names) {
      await tags.addTag(name, id, { force: true });
      const familiar = familiarString(name);
      written.push(familiar);
      options.onProgress?.({ kind: 'tag', name: familiar });
    }
  }
  return { id, driver: driverName, layers, names: written };
}
