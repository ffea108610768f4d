import type { TarTap } from '@lading/layer';
import type {
  ExportContext,
  ExporterInstance,
  ExportLayer,
  LayerSink,
  LayerTap,
  TappedLayer,
} from '../plugin/types.js';

/** The taps of the exporters that want to see layers while they are built (`ExporterInstance.beginLayers`). */
export async function beginLayerTaps(
  instances: readonly { readonly instance: ExporterInstance }[],
  ctx: ExportContext,
): Promise<LayerTap[]> {
  const taps: LayerTap[] = [];
  try {
    for (const { instance } of instances) {
      const tap = await instance.beginLayers?.(ctx);
      if (tap !== undefined) taps.push(tap);
    }
  } catch (error) {
    await abortLayerTaps(taps, error);
    throw error;
  }
  return taps;
}

/** Tells every tap the export failed; a tap's own failure to clean up does not hide the first error. */
export async function abortLayerTaps(taps: readonly LayerTap[], reason: unknown): Promise<void> {
  await Promise.allSettled(taps.map(async (t) => t.abort(reason)));
}

/**
 * One layer's build seen by every tap that takes it: `tap` goes to `buildLayer`, then `end` or `abort` must be
 * called with the outcome. Chunks go to all sinks at once; the build waits for the slowest.
 */
export function layerTapFor(
  taps: readonly LayerTap[],
  layer: Omit<TappedLayer, 'size'>,
): { tap: TarTap; end(built: ExportLayer): Promise<void>; abort(reason: unknown): Promise<void> } {
  let sinks: LayerSink[] = [];
  const abort = async (reason: unknown) => {
    const open = sinks;
    sinks = [];
    await Promise.allSettled(open.map(async (s) => s.abort(reason)));
  };
  return {
    async tap(size) {
      for (const t of taps) {
        try {
          const sink = await t.layer({ ...layer, size });
          if (sink !== undefined) sinks.push(sink);
        } catch (error) {
          await abort(error);
          throw error;
        }
      }
      if (sinks.length === 0) return undefined;
      const all = sinks;
      return all.length === 1
        ? (all[0] as LayerSink).write.bind(all[0])
        : async (chunk) => {
            await Promise.all(all.map((s) => s.write(chunk)));
          };
    },
    async end(built) {
      const open = sinks;
      sinks = [];
      for (const s of open) await s.end(built);
    },
    abort,
  };
}
