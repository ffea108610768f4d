import type { Digest } from '@lading/digest';
import { chainIds } from '@lading/reference-store';
import type { EngineClient } from './engine-client.js';
import { engineUsesContainerdStore } from './system.js';
import type { ImageSummary } from './types.js';

/** Inspections in flight at once: enough to hide the socket's latency, few enough not to load the daemon. */
const inspectConcurrency = 4;

/** An image the Engine lists, with its layers by diffID (oldest first) from its inspection. */
export interface ImageLayers {
  readonly id: string;
  readonly repoTags: readonly string[];
  readonly layers: readonly Digest[];
}

/**
 * Inspects `images` a few at a time and hands each one's layers to `visit`; stops early once `done()` says so. An
 * image removed meanwhile is skipped.
 */
async function inspectEach(
  engine: EngineClient,
  images: readonly ImageSummary[],
  visit: (image: ImageLayers) => void,
  options: { signal?: AbortSignal; done?: () => boolean },
): Promise<void> {
  let next = 0;
  const sig = options.signal ? { signal: options.signal } : {};
  const worker = async () => {
    while (next < images.length && options.done?.() !== true) {
      const summary = images[next++];
      if (summary === undefined) break;
      const image = await engine.findImage(summary.Id, sig);
      if (image === undefined) continue;
      const layers = image.RootFS?.Type === 'layers' ? (image.RootFS.Layers ?? []) : [];
      visit({ id: image.Id, repoTags: image.RepoTags ?? [], layers: layers as Digest[] });
    }
  };
  await Promise.all(Array.from({ length: Math.min(inspectConcurrency, images.length) }, worker));
}

/** Every image the Engine has (intermediate ones too) with its `RootFS.Layers`, which the list alone does not give. */
export async function listImageLayers(
  engine: EngineClient,
  options: { signal?: AbortSignal } = {},
): Promise<ImageLayers[]> {
  const images = await engine.listImages({ all: true, ...options });
  const out: ImageLayers[] = [];
  await inspectEach(engine, images, (i) => out.push(i), options);
  return out;
}

/**
 * Which of `chains` (an image's chain IDs, oldest first) the Engine provably holds in its layer store: a chain is
 * held when an image the daemon lists has it as a prefix of its own (`RootFS.Layers` are diffIDs; an image keeps
 * every layer of its chain). Nothing is assumed: a daemon that keeps images in containerd, whose loader reads
 * every blob, holds nothing for this purpose.
 */
export async function findHeldChains(
  engine: EngineClient,
  chains: readonly Digest[],
  options: { signal?: AbortSignal } = {},
): Promise<Set<Digest>> {
  const held = new Set<Digest>();
  if (chains.length === 0) return held;
  const wanted = new Set<string>(chains);
  const top = chains.at(-1) as Digest;
  const images = await engine.listImages({ all: true, ...options });
  await inspectEach(
    engine,
    images,
    ({ layers }) => {
      for (const chain of chainIds(layers)) {
        if (!wanted.has(chain)) break;
        held.add(chain);
      }
    },
    { ...options, done: () => held.has(top) },
  );
  if (held.size > 0 && (await engineUsesContainerdStore(engine, options))) return new Set();
  return held;
}
