import { rewriteImageConfig } from './rewrite.js';
import { formatTime, timeValue } from './time.js';
import type { ContainerConfig, History, ImageConfig } from './types.js';

export const createdLabel = 'org.opencontainers.image.created';

/** `t` clamped to `at` (both RFC 3339); a missing time becomes `at`. */
function clampTime(t: string | undefined, at: string): string {
  return t === undefined || timeValue(t) > timeValue(at) ? at : t;
}

/** The `org.opencontainers.image.created` label clamped to the epoch; an unparsable one is replaced by it. */
function clampLabel(config: ContainerConfig | undefined, at: string): ContainerConfig | undefined {
  const labels = config?.Labels;
  const label = labels?.[createdLabel];
  if (label === undefined) return config;
  let clamped = at;
  try {
    clamped = clampTime(label, at);
  } catch {
    // an unparsable label time is replaced by the epoch
  }
  return clamped === label ? config : { ...config, Labels: { ...labels, [createdLabel]: clamped } };
}

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
  const base = options.baseHistoryLength ?? 0;
  const history = config.history?.map(
    (h, i): History => (i < base ? h : { ...h, created: clampTime(h.created, at) }),
  );
  const out: Record<string, unknown> = { ...config, created: clampTime(config.created, at) };
  if (history !== undefined) out.history = history;
  const inner = clampLabel(config.config, at);
  if (inner !== undefined) out.config = inner;
  return out as ImageConfig;
}

/**
 * The `org.opencontainers.image.created` label of config bytes clamped to the epoch (lading's addition to what
 * BuildKit's patch clamps); only the `config` member changes, and only when the label does.
 */
export function clampCreatedLabel(config: Uint8Array, epoch: Date): Uint8Array {
  const at = formatTime(epoch);
  return rewriteImageConfig(config, (c) => {
    const inner = clampLabel(c.config, at);
    return inner === c.config ? c : { ...c, config: inner as ContainerConfig };
  });
}
