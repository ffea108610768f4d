import type { Descriptor } from '@lading/digest';
import { checkAnnotations } from './decode.js';
import { encodeIndex, encodeManifest } from './encode.js';
import type { Encoded, ImageIndex, ImageManifest } from './types.js';

type Annotations = Readonly<Record<string, string>>;

function merge(old: Annotations | undefined, add: Annotations): Annotations {
  checkAnnotations(add, 'annotations');
  return { ...old, ...add };
}

/** A copy of the descriptor with annotations added (later keys win). */
export function withDescriptorAnnotations(d: Descriptor, add: Annotations): Descriptor {
  return { ...d, annotations: merge(d.annotations, add) };
}

/** A re-encoded manifest with annotations added (a new digest). */
export function withManifestAnnotations(e: Encoded<ImageManifest>, add: Annotations): Encoded<ImageManifest> {
  return encodeManifest({ ...e.value, annotations: merge(e.value.annotations, add) });
}

/** A re-encoded index with annotations added (a new digest). */
export function withIndexAnnotations(e: Encoded<ImageIndex>, add: Annotations): Encoded<ImageIndex> {
  return encodeIndex({ ...e.value, annotations: merge(e.value.annotations, add) });
}
