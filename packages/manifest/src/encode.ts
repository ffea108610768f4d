import { type Descriptor, digestOf, MediaType } from '@lading/digest';
import type { Encoded, ImageIndex, ImageManifest } from './types.js';

const descriptorOrder = [
  'mediaType',
  'digest',
  'size',
  'urls',
  'annotations',
  'data',
  'platform',
  'artifactType',
];
const manifestOrder = [
  'schemaVersion',
  'mediaType',
  'artifactType',
  'config',
  'layers',
  'subject',
  'annotations',
];
const indexOrder = ['schemaVersion', 'mediaType', 'artifactType', 'manifests', 'subject', 'annotations'];

/** Known fields in a fixed order, then unknown fields in their original order; undefined dropped. */
function ordered(
  value: Readonly<Record<string, unknown>>,
  order: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of order) if (value[key] !== undefined) out[key] = value[key];
  for (const key of Object.keys(value))
    if (!order.includes(key) && value[key] !== undefined) out[key] = value[key];
  return out;
}

export function orderDescriptor(d: Descriptor): Record<string, unknown> {
  return ordered(d as unknown as Record<string, unknown>, descriptorOrder);
}

function finish<T>(value: T, json: Record<string, unknown>, mediaType: string): Encoded<T> {
  const bytes = new TextEncoder().encode(JSON.stringify(json));
  return { value, bytes, descriptor: { mediaType, digest: digestOf(bytes), size: bytes.byteLength } };
}

/** Encodes a manifest with a stable field order; the descriptor's media type defaults to OCI's. */
export function encodeManifest(value: ImageManifest): Encoded<ImageManifest> {
  const json = ordered(value, manifestOrder);
  json.config = orderDescriptor(value.config);
  json.layers = value.layers.map(orderDescriptor);
  if (value.subject !== undefined) json.subject = orderDescriptor(value.subject);
  return finish(value, json, value.mediaType ?? MediaType.ociManifest);
}

/** Encodes an index or manifest list with a stable field order. */
export function encodeIndex(value: ImageIndex): Encoded<ImageIndex> {
  const json = ordered(value, indexOrder);
  json.manifests = value.manifests.map(orderDescriptor);
  if (value.subject !== undefined) json.subject = orderDescriptor(value.subject);
  return finish(value, json, value.mediaType ?? MediaType.ociIndex);
}
