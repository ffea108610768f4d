import { isLadingError, parseDigest } from '@lading/digest';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeAny, decodeIndex, decodeManifest } from './decode.js';
import { encodeIndex, encodeManifest } from './encode.js';
import type { ImageIndex, ImageManifest } from './types.js';

const hex = fc.stringMatching(/^[0-9a-f]{64}$/);
const mediaType = fc.constantFrom(
  'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.oci.image.config.v1+json',
  'application/vnd.docker.image.rootfs.diff.tar.gzip',
  'text/plain',
);
const annotations = fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 });
const platform = fc.record(
  {
    architecture: fc.constantFrom('amd64', 'arm64'),
    os: fc.constantFrom('linux', 'windows'),
    variant: fc.constantFrom('v7', 'v8'),
  },
  { requiredKeys: ['architecture', 'os'] },
);
const descriptor = fc.record(
  {
    mediaType,
    digest: hex.map((h) => parseDigest(`sha256:${h}`)),
    size: fc.nat(),
    urls: fc.array(fc.webUrl(), { maxLength: 2 }),
    annotations,
    platform,
    artifactType: mediaType,
  },
  { requiredKeys: ['mediaType', 'digest', 'size'] },
);
const manifest: fc.Arbitrary<ImageManifest> = fc.record(
  {
    schemaVersion: fc.constant(2 as const),
    mediaType: fc.constant('application/vnd.oci.image.manifest.v1+json'),
    artifactType: mediaType,
    config: descriptor,
    layers: fc.array(descriptor, { maxLength: 4 }),
    subject: descriptor,
    annotations,
  },
  { requiredKeys: ['schemaVersion', 'config', 'layers'] },
);
const index: fc.Arbitrary<ImageIndex> = fc.record(
  {
    schemaVersion: fc.constant(2 as const),
    mediaType: fc.constantFrom(
      'application/vnd.oci.image.index.v1+json',
      'application/vnd.docker.distribution.manifest.list.v2+json',
    ),
    manifests: fc.array(descriptor, { maxLength: 4 }),
    annotations,
  },
  { requiredKeys: ['schemaVersion', 'mediaType', 'manifests'] },
);

const decoders = [decodeManifest, decodeIndex, decodeAny];
function onlyTypedErrors(bytes: Uint8Array): void {
  for (const decode of decoders) {
    try {
      decode(bytes);
    } catch (err) {
      if (!isLadingError(err)) throw err;
    }
  }
}

/** Replaces one random node of a JSON value with a random JSON value. */
function mutate(value: unknown, path: number[], replacement: unknown): unknown {
  if (path.length === 0 || typeof value !== 'object' || value === null) return replacement;
  const entries = Object.entries(value);
  if (entries.length === 0) return replacement;
  const [head = 0, ...rest] = path;
  const [key, child] = entries[head % entries.length] as [string, unknown];
  const copy: Record<string, unknown> | unknown[] = Array.isArray(value) ? [...value] : { ...value };
  (copy as Record<string, unknown>)[key] = mutate(child, rest, replacement);
  return copy;
}

describe('decoders under random input', () => {
  it('decode(encode(x)) deep-equals x', () => {
    fc.assert(
      fc.property(manifest, (m) => {
        expect(decodeManifest(encodeManifest(m).bytes).value).toEqual(m);
      }),
    );
    fc.assert(
      fc.property(index, (i) => {
        expect(decodeIndex(encodeIndex(i).bytes).value).toEqual(i);
      }),
    );
  });

  it('random bytes and random JSON raise only typed errors', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), onlyTypedErrors));
    fc.assert(
      fc.property(fc.jsonValue(), (v) =>
        onlyTypedErrors(new TextEncoder().encode(JSON.stringify(v) ?? 'null')),
      ),
    );
  });

  it('mutated manifests and indexes raise only typed errors', () => {
    const target = fc.oneof(manifest, index) as fc.Arbitrary<unknown>;
    fc.assert(
      fc.property(target, fc.array(fc.nat(), { maxLength: 5 }), fc.jsonValue(), (v, path, r) => {
        onlyTypedErrors(new TextEncoder().encode(JSON.stringify(mutate(v, path, r))));
      }),
      { numRuns: 500 },
    );
  });
});
