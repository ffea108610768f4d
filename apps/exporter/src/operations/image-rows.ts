import { openLocalStore, type Provider, readBlob } from '@lading/content-store';
import {
  AnnotationRefName,
  type Descriptor,
  formatPlatform,
  isIndexMediaType,
  maxManifestBytes,
} from '@lading/digest';
import { parseReference } from '@lading/reference-store/reference';

/** One named image of a store or layout, as `lading ls` lists it (and its `--json` and `--format` read it). */
export interface ImageRow {
  /** The name: `io.containerd.image.name`, else the OCI ref name. */
  readonly name: string;
  /** The name without its tag (`<none>` when it is only a ref name like `latest`), and the tag. */
  readonly repository: string;
  readonly tag: string;
  /** What the name points to: a manifest or an index. */
  readonly digest: string;
  readonly mediaType: string;
  /** Size of the manifest or index itself (the descriptor's). */
  readonly size: number;
  /** The image ID: the config digest (of the first image, for an index), when readable. */
  readonly id?: string;
  /** The config's `created`, when it has one. */
  readonly created?: string;
  /** Bytes of every blob the image holds in the store (manifests, configs, layers as stored), each once. */
  readonly contentSize?: number;
  /** The platforms of an index, or the one of the config. */
  readonly platforms: readonly string[];
}

interface Doc {
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
  mediaType?: string;
}

const readJson = async (store: Provider, d: Descriptor): Promise<Record<string, unknown> | undefined> => {
  try {
    return JSON.parse(
      new TextDecoder().decode(await readBlob(store, d, { maxBytes: maxManifestBytes })),
    ) as Record<string, unknown>;
  } catch {
    return undefined;
  }
};

/** A name's repository and tag, as `lading ls` shows them (`<none>` for what a name lacks). */
export function splitName(name: string): { repository: string; tag: string } {
  try {
    const ref = parseReference(name);
    const repository = ref.registry === '' ? ref.repository : `${ref.registry}/${ref.repository}`;
    if (ref.tag !== undefined) return { repository, tag: ref.tag };
    if (name.includes('/') || name.includes('@')) return { repository, tag: '<none>' };
  } catch {
    // not a reference: a ref name only
  }
  return { repository: '<none>', tag: name };
}

/** The rows of a store or layout: one per index.json entry, with what its blobs tell (missing blobs leave gaps). */
export async function listImageRows(location: string): Promise<ImageRow[]> {
  const store = await openLocalStore(location);
  const index = await store.readIndex();
  const rows: ImageRow[] = [];
  for (const m of index.manifests) {
    const name =
      m.annotations?.['io.containerd.image.name'] ?? m.annotations?.[AnnotationRefName] ?? '<none>';
    const blobs = new Map<string, number>([[m.digest, m.size]]);
    const platforms: string[] = [];
    let id: string | undefined;
    let created: string | undefined;
    const visit = async (d: Descriptor, depth: number): Promise<void> => {
      const doc = (await readJson(store, d)) as Doc | undefined;
      if (doc === undefined || depth > 3) return;
      if (isIndexMediaType(doc.mediaType ?? d.mediaType) || doc.manifests !== undefined) {
        for (const child of doc.manifests ?? []) {
          blobs.set(child.digest, child.size);
          if (child.platform && depth === 0) platforms.push(formatPlatform(child.platform));
          await visit(child, depth + 1);
        }
        return;
      }
      if (doc.config) {
        blobs.set(doc.config.digest, doc.config.size);
        if (id === undefined) {
          id = doc.config.digest;
          const config = await readJson(store, doc.config);
          if (typeof config?.created === 'string') created = config.created;
          if (depth === 0 && typeof config?.os === 'string' && typeof config.architecture === 'string') {
            platforms.push(
              formatPlatform({
                os: config.os,
                architecture: config.architecture,
                ...(typeof config.variant === 'string' ? { variant: config.variant } : {}),
              }),
            );
          }
        }
      }
      for (const l of doc.layers ?? []) blobs.set(l.digest, l.size);
    };
    await visit(m, 0);
    rows.push({
      name,
      ...splitName(name),
      digest: m.digest,
      mediaType: m.mediaType,
      size: m.size,
      ...(id !== undefined ? { id } : {}),
      ...(created !== undefined ? { created } : {}),
      contentSize: [...blobs.values()].reduce((a, b) => a + b, 0),
      platforms,
    });
  }
  return rows;
}
