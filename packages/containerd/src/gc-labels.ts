import type { Descriptor } from '@lading/digest';

const prefix = 'containerd.io/gc.ref.content';

/**
 * The labels that make containerd's GC keep a manifest's children, as BuildKit's image writer sets them
 * (exporter/containerimage/writer.go): `.0` the config, `.1`... the layers in order.
 */
export function manifestGcLabels(manifest: {
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
}): Record<string, string> {
  const labels: Record<string, string> = { [`${prefix}.0`]: manifest.config.digest };
  manifest.layers.forEach((l, i) => {
    labels[`${prefix}.${i + 1}`] = l.digest;
  });
  return labels;
}

/** The same for an index: `.0`... its manifests in order. */
export function indexGcLabels(index: { readonly manifests: readonly Descriptor[] }): Record<string, string> {
  const labels: Record<string, string> = {};
  index.manifests.forEach((m, i) => {
    labels[`${prefix}.${i}`] = m.digest;
  });
  return labels;
}
