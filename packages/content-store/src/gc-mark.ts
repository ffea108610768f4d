import { type Digest, isConfigMediaType, isDigest, isLayerMediaType } from '@lading/digest';
import { maxManifestBytes } from './limits.js';

/** A blob to keep, with its media type when the referrer said it. */
export interface GcRoot {
  readonly digest: Digest;
  readonly mediaType?: string | undefined;
}

export interface MarkIo {
  /** Bytes of a committed blob no larger than `maxBytes`, or undefined (absent or larger). */
  readSmall(digest: Digest, maxBytes: number): Promise<Uint8Array | undefined>;
  /** Labels of a committed blob, or undefined when absent. */
  labels(digest: Digest): Promise<Readonly<Record<string, string>> | undefined>;
}

const gcRefLabel = 'containerd.io/gc.ref.content';

/**
 * Marks everything reachable from the roots: manifests and indexes are parsed for their children (config, layers,
 * manifests, subject, blobs); containerd's `containerd.io/gc.ref.content*` labels are followed too. Blobs whose media
 * type says they are layers or configs are not read. A root without a media type is sniffed when small.
 */
export async function markLive(
  roots: Iterable<GcRoot>,
  io: MarkIo,
  signal?: AbortSignal,
): Promise<Set<Digest>> {
  const live = new Set<Digest>();
  const queue: GcRoot[] = [...roots];
  while (queue.length > 0) {
    signal?.throwIfAborted();
    const next = queue.pop() as GcRoot;
    if (live.has(next.digest)) continue;
    live.add(next.digest);
    const labels = await io.labels(next.digest);
    if (labels === undefined) continue; // not in this store
    for (const [k, v] of Object.entries(labels)) {
      if (k.startsWith(gcRefLabel) && isDigest(v)) queue.push({ digest: v });
    }
    const mt = next.mediaType;
    if (mt !== undefined && (isLayerMediaType(mt) || isConfigMediaType(mt))) continue;
    const bytes = await io.readSmall(next.digest, maxManifestBytes);
    if (bytes === undefined) continue;
    for (const child of childDescriptors(bytes)) queue.push(child);
  }
  return live;
}

/** The child descriptors of a manifest or index (empty for anything that is not such JSON). */
export function childDescriptors(bytes: Uint8Array): GcRoot[] {
  // Cheap sniff: JSON objects start with '{' (after optional whitespace).
  let i = 0;
  while (
    i < bytes.length &&
    (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)
  )
    i++;
  if (bytes[i] !== 0x7b) return [];
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    return [];
  }
  if (typeof value !== 'object' || value === null) return [];
  const obj = value as Record<string, unknown>;
  const out: GcRoot[] = [];
  const take = (d: unknown) => {
    if (typeof d !== 'object' || d === null) return;
    const desc = d as Record<string, unknown>;
    if (!isDigest(desc.digest)) return;
    out.push({
      digest: desc.digest,
      mediaType: typeof desc.mediaType === 'string' ? desc.mediaType : undefined,
    });
  };
  take(obj.config);
  take(obj.subject);
  for (const key of ['layers', 'manifests', 'blobs']) {
    const list = obj[key];
    if (Array.isArray(list)) list.forEach(take);
  }
  return out;
}
