import { formatTime, timeValue } from './time.js';
import type { History, ImageConfig } from './types.js';

export const createdLabel = 'org.opencontainers.image.created';

/**
 * SOURCE_DATE_EPOCH for a config: the config's `created`, the history entries this build added (those after the
 * first `baseHistoryLength`, which belong to the base image and are never touched), and the
 * `org.opencontainers.image.created` label are clamped to the epoch; missing times become the epoch.
 */
export function clampToEpoch(
  config: ImageConfig,
  epoch: Date,
  options: { baseHistoryLength?: number } = {},
): ImageConfig {
  const at = formatTime(epoch);
  const limit = timeValue(at);
  const clamp = (t: string | undefined) => (t === undefined || timeValue(t) > limit ? at : t);
  const base = options.baseHistoryLength ?? 0;
  const history = config.history?.map(
    (h, i): History => (i < base ? h : { ...h, created: clamp(h.created) }),
  );
  const labels = config.config?.Labels;
  const out: Record<string, unknown> = { ...config, created: clamp(config.created) };
  if (history !== undefined) out.history = history;
  if (labels?.[createdLabel] !== undefined) {
    const label = labels[createdLabel];
    let clamped = at;
    try {
      clamped = clamp(label);
    } catch {
      // an unparsable label time is replaced by the epoch
    }
    out.config = { ...config.config, Labels: { ...labels, [createdLabel]: clamped } };
  }
  return out as ImageConfig;
}
