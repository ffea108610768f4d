import { createHash } from 'node:crypto';
import { type Digest, IntegrityError, InvalidInputError, parseDigest } from '@lading/digest';
import { describe, expect, it } from 'vitest';
import { decodeAny, decodeIndex, decodeManifest } from './decode.js';
import { encodeIndex, encodeManifest } from './encode.js';
import type { ImageManifest } from './types.js';

const d = (c: string): Digest => parseDigest(`sha256:${c.repeat(64)}`);
const sha = (b: Uint8Array | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const enc = (s: string) => new TextEncoder().encode(s);

const manifest: ImageManifest = {
  // Keys deliberately out of order: the encoder must put them in the fixed order.
  layers: [{ size: 10, digest: d('b'), mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' }],
  config: { digest: d('a'), mediaType: 'application/vnd.oci.image.config.v1+json', size: 5 },
  annotations: { x: 'y' },
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  schemaVersion: 2,
};

describe('encodeManifest', () => {
  it('writes the fixed field order and a descriptor over the exact bytes', () => {
    const expected =
      '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",' +
      `"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"${d('a')}","size":5},` +
      `"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"${d('b')}","size":10}],` +
      '"annotations":{"x":"y"}}';
    const e = encodeManifest(manifest);
    expect(new TextDecoder().decode(e.bytes)).toBe(expected);
    expect(e.descriptor).toEqual({
      mediaType: manifest.mediaType,
      digest: sha(expected),
      size: enc(expected).length,
    });
  });

  it('round-trips through decode', () => {
    const e = encodeManifest(manifest);
    const back = decodeManifest(e.bytes, { expected: e.descriptor });
    expect(back.value).toEqual(manifest);
    expect(back.bytes).toBe(e.bytes);
  });
});

describe('encodeIndex', () => {
  it('writes the fixed field order, subject included', () => {
    const e = encodeIndex({
      manifests: [
        {
          platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
          size: 3,
          digest: d('c'),
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
        },
      ],
      subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: d('e'), size: 1 },
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
    });
    expect(new TextDecoder().decode(e.bytes)).toBe(
      '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[' +
        `{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"${d('c')}","size":3,` +
        '"platform":{"os":"linux","architecture":"arm64","variant":"v8"}}],' +
        `"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"${d('e')}","size":1}}`,
    );
  });
});

describe('decode validation', () => {
  const good = JSON.parse(new TextDecoder().decode(encodeManifest(manifest).bytes));
  const bad = (patch: Record<string, unknown>) => enc(JSON.stringify({ ...good, ...patch }));
  const cases: [string, Uint8Array, string, RegExp][] = [
    ['schemaVersion 1', bad({ schemaVersion: 1 }), 'MANIFEST_INVALID', /schemaVersion/],
    [
      'bad digest',
      bad({ config: { ...good.config, digest: 'sha256:xyz' } }),
      'MANIFEST_INVALID',
      /manifest\.config\.digest/,
    ],
    [
      'negative size',
      bad({ layers: [{ ...good.layers[0], size: -1 }] }),
      'MANIFEST_INVALID',
      /layers\[0\]\.size/,
    ],
    [
      'fractional size',
      bad({ layers: [{ ...good.layers[0], size: 1.5 }] }),
      'MANIFEST_INVALID',
      /layers\[0\]\.size/,
    ],
    ['unsafe size', bad({ layers: [{ ...good.layers[0], size: 2 ** 60 }] }), 'MANIFEST_INVALID', /size/],
    ['annotation not string', bad({ annotations: { a: 1 } }), 'MANIFEST_INVALID', /annotations\["a"\]/],
    ['layers not array', bad({ layers: {} }), 'MANIFEST_INVALID', /manifest\.layers/],
    [
      'index media type',
      bad({ mediaType: 'application/vnd.oci.image.index.v1+json' }),
      'MEDIA_TYPE_UNSUPPORTED',
      /media type/,
    ],
    ['not JSON', enc('{'), 'MANIFEST_INVALID', /JSON/],
    ['array', enc('[]'), 'MANIFEST_INVALID', /object/],
    ['bad utf-8', new Uint8Array([0x7b, 0xff, 0x7d]), 'MANIFEST_INVALID', /UTF-8/],
    ['docker without mediaType', bad({ mediaType: undefined }), 'MANIFEST_INVALID', /mediaType/],
  ];
  it.each(cases)('%s', (name, bytes, code, message) => {
    const options =
      name === 'docker without mediaType'
        ? {
            expected: {
              mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
              digest: parseDigest(sha(bytes)),
              size: bytes.length,
            },
          }
        : {};
    let caught: unknown;
    try {
      decodeManifest(bytes, options);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidInputError);
    expect((caught as InvalidInputError).code).toBe(code);
    expect((caught as Error).message).toMatch(message);
  });

  it('refuses a media type that differs from the descriptor', () => {
    const bytes = encodeManifest(manifest).bytes;
    const expected = {
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      digest: parseDigest(sha(bytes)),
      size: bytes.length,
    };
    expect(() => decodeManifest(bytes, { expected })).toThrow(/descriptor says/);
  });

  it('refuses bytes that do not match the descriptor', () => {
    const bytes = encodeManifest(manifest).bytes;
    const expected = { mediaType: manifest.mediaType as string, digest: d('0'), size: bytes.length };
    expect(() => decodeManifest(bytes, { expected })).toThrow(IntegrityError);
    expect(() => decodeManifest(bytes, { expected: { ...expected, size: 1 } })).toThrow(IntegrityError);
  });

  it('refuses more than the cap', () => {
    expect(() => decodeManifest(new Uint8Array(4 * 1024 * 1024 + 1))).toThrow(/limit/);
  });

  it('keeps unknown fields and the exact bytes', () => {
    const text = `{ "schemaVersion": 2, "x-extra": [1], "manifests": [], "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json" }`;
    const got = decodeAny(enc(text));
    expect(got.kind).toBe('index');
    expect(got.value['x-extra']).toEqual([1]);
    expect(got.descriptor).toEqual({
      mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json',
      digest: sha(text),
      size: text.length,
    });
    expect(() => decodeIndex(enc('{"schemaVersion":2,"manifests":[],"layers":[]}'))).toThrow(/manifest\?/);
  });
});

describe('manifest cap', () => {
  it('a descriptor declaring more than the cap is refused before the bytes are hashed or parsed', async () => {
    const { decodeManifest: decode } = await import('./decode.js');
    const bytes = new TextEncoder().encode('not even json');
    const expected = {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: `sha256:${'0'.repeat(64)}`,
      size: 10 ** 12,
    } as const;
    expect(() => decode(bytes, { expected: expected as never })).toThrow(
      expect.objectContaining({ code: 'MANIFEST_TOO_LARGE' }),
    );
  });
});
