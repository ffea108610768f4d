import { createHash } from 'node:crypto';
import type { Digest } from '@lading/digest';
import { describe, expect, it } from 'vitest';
import { chainIds } from './chain-id.js';
import { indexGcLabels, manifestGcLabels } from './gc-labels.js';

const sha = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}` as Digest;

describe('chainIds', () => {
  it('follows the image spec: the first diff ID, then sha256 of "parent diffID"', () => {
    const [a, b, c] = [sha('a'), sha('b'), sha('c')];
    const ab = sha(`${a} ${b}`);
    expect(chainIds([a, b, c])).toEqual([a, ab, sha(`${ab} ${c}`)]);
    expect(chainIds([])).toEqual([]);
  });
});

describe('gc labels', () => {
  it('number a manifest’s config 0 and its layers from 1, an index’s manifests from 0 (BuildKit’s writer)', () => {
    const d = (s: string) => ({ mediaType: 'x/y', digest: sha(s), size: 1 });
    expect(manifestGcLabels({ config: d('c'), layers: [d('l0'), d('l1')] })).toEqual({
      'containerd.io/gc.ref.content.0': sha('c'),
      'containerd.io/gc.ref.content.1': sha('l0'),
      'containerd.io/gc.ref.content.2': sha('l1'),
    });
    expect(indexGcLabels({ manifests: [d('m0'), d('m1')] })).toEqual({
      'containerd.io/gc.ref.content.0': sha('m0'),
      'containerd.io/gc.ref.content.1': sha('m1'),
    });
  });
});
