import { readBlob } from '@lading/content-store';
import { decodeManifest } from '@lading/manifest';
import type { ImageRecord, Storage } from '../storage/storage.js';

/** The bytes an image's manifest names (config and layers, compressed as stored); 0 when it cannot be read. */
export async function imageSize(storage: Storage, image: ImageRecord): Promise<number> {
  try {
    const m = decodeManifest(await readBlob(storage.store, image.manifest)).value;
    return m.layers.reduce((n, l) => n + l.size, m.config.size);
  } catch {
    return 0;
  }
}

/** Removes blobs no stored image reaches; the store's index.json holds nothing of ours, so images are the roots. */
export async function pruneBlobs(storage: Storage): Promise<void> {
  const roots: string[] = [];
  for (const i of await storage.listImages()) roots.push(i.manifest.digest);
  for (const c of await storage.listContainers()) if (c.baseManifest) roots.push(c.baseManifest.digest);
  await storage.store.gc({ extraRoots: roots as never });
}
