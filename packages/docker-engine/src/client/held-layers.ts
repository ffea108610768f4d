import type { Digest } from '@lading/digest';
import { chainIds } from '@lading/reference-store';
import type { EngineClient } from './engine-client.js';
import { engineUsesContainerdStore } from './system.js';

/** Inspections in flight at once: enough to hide the socket's latency, few enough not to load the daemon. */
const inspectConcurrency = 4;

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
  let next = 0;
  const worker = async () => {
    while (next < images.length && !held.has(top)) {
      const summary = images[next++];
      if (summary === undefined) break;
      const image = await engine.findImage(summary.Id, options);
      const layers = image?.RootFS?.Type === 'layers' ? (image.RootFS.Layers ?? []) : [];
      for (const chain of chainIds(layers as Digest[])) {
        if (!wanted.has(chain)) break;
        held.add(chain);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(inspectConcurrency, images.length) }, worker));
  if (held.size > 0 && (await engineUsesContainerdStore(engine, options))) return new Set();
  return held;
}
