import { createHash } from 'node:crypto';
import type { Digest } from '@lading/digest';
import { describe, expect, it } from 'vitest';
import { childDescriptors, markLive } from './gc-mark.js';

const d = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}` as Digest;

describe('childDescriptors', () => {
  it('takes config, layers, manifests, subject and blobs; ignores the rest', () => {
    const bytes = Buffer.from(
      JSON.stringify({
        config: { mediaType: 'c', digest: d('c'), size: 1 },
        layers: [{ mediaType: 'l', digest: d('l'), size: 1 }, { digest: 'sha256:bad' }],
        manifests: [{ digest: d('m'), size: 1 }],
        subject: { digest: d('s') },
        blobs: [{ digest: d('b') }],
        other: { digest: d('x') },
      }),
    );
    expect(childDescriptors(bytes).map((c) => c.digest)).toEqual([d('c'), d('s'), d('l'), d('m'), d('b')]);
    expect(childDescriptors(Buffer.from('\x1f\x8b not json'))).toEqual([]);
    expect(childDescriptors(Buffer.from('{ broken'))).toEqual([]);
  });
});

describe('markLive', () => {
  it('does not read layers or configs, follows gc.ref labels, and stops at absent blobs', async () => {
    const reads: string[] = [];
    const blobs = new Map<string, string>([
      [
        d('idx'),
        JSON.stringify({
          manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: d('man') }],
        }),
      ],
      [
        d('man'),
        JSON.stringify({
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: d('cfg') },
          layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: d('lay') }],
        }),
      ],
      [d('cfg'), '{}'],
      [d('lay'), '{"manifests":[{"digest":"' + d('never') + '"}]}'],
      [d('lab'), 'x'],
      [d('ref'), 'y'],
    ]);
    const live = await markLive([{ digest: d('idx') }, { digest: d('lab') }], {
      readSmall: async (digest) => {
        reads.push(digest);
        const v = blobs.get(digest);
        return v === undefined ? undefined : Buffer.from(v);
      },
      labels: async (digest) =>
        blobs.has(digest)
          ? digest === d('lab')
            ? { 'containerd.io/gc.ref.content.0': d('ref') }
            : {}
          : undefined,
    });
    expect([...live].sort()).toEqual([d('idx'), d('man'), d('cfg'), d('lay'), d('lab'), d('ref')].sort());
    expect(reads).not.toContain(d('lay'));
    expect(reads).not.toContain(d('cfg'));
  });
});
