import type { Ingester } from '@lading/content-store';
import { type Descriptor, type Platform, parsePlatform } from '@lading/digest';
import type { ExportAttestation, ExportSource } from '../../plugin/types.js';
import { type WrittenAttestations, writeAttestationManifest } from './attestation-manifest.js';

/** Whether a source carries any attestation (then its images are written as an index, as BuildKit does). */
export function hasAttestations(source: ExportSource): boolean {
  return Object.values(source.attestations ?? {}).some((a) => a.length > 0);
}

/**
 * The attestations of one image of the source: by its platform ID, or, for a source of one `ref`, the only ones
 * there are (with the platform their key names).
 */
export function attestationsOf(
  source: ExportSource,
  platformId: string | undefined,
): { platform?: Platform; attestations: readonly ExportAttestation[] } {
  const all = source.attestations ?? {};
  if (platformId !== undefined) return { attestations: all[platformId] ?? [] };
  const keys = Object.keys(all);
  if (keys.length !== 1) return { attestations: [] };
  const key = keys[0] as string;
  return { platform: parsePlatform(key), attestations: all[key] ?? [] };
}

/** Writes an attestation manifest for each image that has attestations; the index lists them after the images. */
export async function writeSourceAttestations(
  store: Ingester,
  source: ExportSource,
  images: readonly {
    readonly platformId?: string;
    readonly platform?: Platform;
    readonly manifest: Descriptor;
  }[],
  names: readonly string[],
): Promise<WrittenAttestations[]> {
  const out: WrittenAttestations[] = [];
  for (const i of images) {
    const { platform, attestations } = attestationsOf(source, i.platformId);
    if (attestations.length === 0) continue;
    const p = i.platform ?? platform ?? { os: 'unknown', architecture: 'unknown' };
    out.push(await writeAttestationManifest(store, i.manifest, attestations, { names, platform: p }));
  }
  return out;
}
