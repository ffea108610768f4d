import { type Digest, digestEncoded } from '@lading/digest';
import { parseImageReference } from '@lading/transports/reference';
import { splitName } from '../operations/image-rows.js';
import type { InspectedImage } from '../operations/images.js';
import { templateFields } from './commands/ls.js';

const transportOf = (name: string): string => {
  try {
    return parseImageReference(name).transport;
  } catch {
    return '';
  }
};

interface ManifestDoc {
  config?: { digest?: string; size?: number };
  layers?: { digest: string; size?: number }[];
  annotations?: unknown;
}
interface ConfigDoc {
  created?: string;
  architecture?: string;
  os?: string;
  variant?: string;
  history?: unknown[];
  config?: { Labels?: Record<string, string>; Env?: string[] };
}

/**
 * What `lading inspect --format` reads:
 * - lading's own fields (`.name`, `.descriptor`, `.manifest`, `.config`, as `--json` prints them);
 * - buildah inspect's (`.FromImage`, `.FromImageID`, `.FromImageDigest`, `.OCIv1`, `.Docker`, `.Manifest` and
 *   `.Config` as JSON text, `.ImageAnnotations`, `.History`);
 * - buildah images' (`.ID` untruncated as `--no-trunc` prints it, `.Name`, `.Repository`, `.Tag`, `.Digest`,
 *   `.Created`, `.CreatedAt`, `.CreatedAtRaw`, `.Size`, `.MediaType`, `.Platforms`), as `lading ls --format`;
 * - skopeo inspect's (`.Architecture`, `.Os`, `.Variant`, `.Layers`, `.Labels`, `.Env`).
 * `.Digest` is what the name points to (an index's digest for a multi-platform image), as skopeo and buildah
 * images print it; `.FromImageDigest` is the manifest of the platform shown.
 */
export function inspectFields(result: InspectedImage, now = Date.now()) {
  const decoder = new TextDecoder();
  const config = (result.config ?? {}) as ConfigDoc;
  const manifest = (result.manifest ?? {}) as ManifestDoc;
  const configDigest = manifest.config?.digest;
  const root = result.raw?.root?.descriptor;
  const name = result.name.replace(/^docker:\/\//, '');
  // A store name or a registry reference splits into repository and tag; a layout or archive path does not.
  const named = ['containers-storage', 'docker'].includes(transportOf(result.name));
  const layers = manifest.layers ?? [];
  const blobs = new Map<string, number>([[result.descriptor.digest, result.descriptor.size]]);
  if (root !== undefined) blobs.set(root.digest, root.size);
  if (configDigest !== undefined) blobs.set(configDigest, manifest.config?.size ?? 0);
  for (const l of layers) blobs.set(l.digest, l.size ?? 0);
  const platform = [config.os, config.architecture, config.variant].filter((p) => p !== undefined).join('/');
  const row = templateFields(
    {
      name,
      ...(named ? splitName(name) : { repository: '<none>', tag: '<none>' }),
      digest: root?.digest ?? result.descriptor.digest,
      mediaType: root?.mediaType ?? result.descriptor.mediaType,
      size: root?.size ?? result.descriptor.size,
      ...(configDigest !== undefined ? { id: configDigest } : {}),
      ...(typeof config.created === 'string' ? { created: config.created } : {}),
      contentSize: [...blobs.values()].reduce((a, b) => a + b, 0),
      platforms: platform === '' ? [] : [platform],
    },
    { noTrunc: true, now },
  );
  return {
    name: result.name,
    descriptor: result.descriptor,
    manifest: result.manifest,
    config: result.config,
    FromImage: result.name,
    FromImageID: configDigest !== undefined ? digestEncoded(configDigest as Digest) : '',
    FromImageDigest: result.descriptor.digest,
    Manifest: result.raw ? decoder.decode(result.raw.manifest) : JSON.stringify(result.manifest),
    Config: result.raw ? decoder.decode(result.raw.config) : JSON.stringify(result.config),
    OCIv1: config,
    Docker: config,
    ImageAnnotations: manifest.annotations ?? {},
    History: config.history ?? [],
    ...row,
    Architecture: config.architecture ?? '',
    Os: config.os ?? '',
    Variant: config.variant ?? '',
    Layers: layers.map((l) => l.digest),
    Labels: config.config?.Labels ?? {},
    Env: config.config?.Env ?? [],
  };
}
