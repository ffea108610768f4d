import { type Provider, readBlob } from '@lading/content-store';
import {
  type Descriptor,
  isIndexMediaType,
  isManifestMediaType,
  maxManifestBytes,
  parseJsonObject,
} from '@lading/digest';

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

/**
 * Labels every manifest and index from `root` down for its children (what an import into containerd must do so
 * that an image record keeps the whole graph). Reads the JSON from containerd's store, capped and verified.
 */
export async function labelImageGraph(
  content: Pick<Provider, 'read' | 'info'> & {
    updateLabels(digest: Descriptor['digest'], labels: Readonly<Record<string, string>>): Promise<unknown>;
  },
  root: Descriptor,
  options: { signal?: AbortSignal } = {},
): Promise<void> {
  const seen = new Set<string>();
  const visit = async (desc: Descriptor): Promise<void> => {
    if (seen.has(desc.digest)) return;
    seen.add(desc.digest);
    options.signal?.throwIfAborted();
    const manifest = isManifestMediaType(desc.mediaType);
    if (!manifest && !isIndexMediaType(desc.mediaType)) return;
    const bytes = await readBlob(content, desc, {
      maxBytes: maxManifestBytes,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const node = parseJsonObject(bytes, { what: `manifest ${desc.digest}`, code: 'MANIFEST_INVALID' }) as {
      config?: Descriptor;
      layers?: Descriptor[];
      manifests?: Descriptor[];
    };
    if (manifest && node.config) {
      await content.updateLabels(
        desc.digest,
        manifestGcLabels({ config: node.config, layers: node.layers ?? [] }),
      );
      return;
    }
    const children = (node.manifests ?? []).filter((m) => !(m.urls && m.urls.length > 0));
    for (const child of children) await visit(child);
    await content.updateLabels(desc.digest, indexGcLabels({ manifests: node.manifests ?? [] }));
  };
  await visit(root);
}
