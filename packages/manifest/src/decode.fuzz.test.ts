import { isLadingError } from '@lading/digest';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeAny, decodeIndex, decodeManifest } from './decode.js';

const numRuns = Number(process.env.LADING_FUZZ_RUNS) || 10_000;

const key = fc.constantFrom('__proto__', 'constructor', 'toString', 'mediaType', 'size', 'x');
/** Small JSON values (fast-check's jsonValue makes big ones, slowly). */
const scalar = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 4 }),
);
const anyJson = fc.oneof(
  { weight: 3, arbitrary: scalar },
  fc.array(scalar, { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 3 }), scalar, { maxKeys: 2 }),
);
/** Right most of the time, else any JSON value or an object with hostile keys. */
const field = <T>(right: fc.Arbitrary<T>) =>
  fc.oneof(
    { weight: 4, arbitrary: right as fc.Arbitrary<unknown> },
    anyJson,
    fc.dictionary(key, anyJson, { maxKeys: 3 }),
  );
const mediaType = fc.constantFrom(
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.layer.v1.tar+gzip',
  'not a media type',
);
const digest = fc.constantFrom(
  `sha256:${'a'.repeat(64)}`,
  `sha512:${'b'.repeat(128)}`,
  'sha256:abc',
  'md5:1',
);
const size = fc.oneof(fc.nat(), fc.constantFrom(-1, 1.5, 2 ** 53, Number.MAX_SAFE_INTEGER));
const annotations = fc.dictionary(key, field(fc.string({ maxLength: 4 })), { maxKeys: 3 });
const platform = fc.record(
  {
    architecture: field(fc.constant('amd64')),
    os: field(fc.constant('linux')),
    variant: field(fc.constant('v8')),
  },
  { requiredKeys: [] },
);
const descriptor = fc.record(
  {
    mediaType: field(mediaType),
    digest: field(digest),
    size: field(size),
    urls: field(fc.array(fc.constant('https://x/y'), { maxLength: 2 })),
    annotations: field(annotations),
    platform: field(platform),
    data: field(fc.constantFrom('', 'e30=', 'not base64!')),
    ['__proto__']: fc.dictionary(key, anyJson, { maxKeys: 2 }),
  },
  { requiredKeys: ['mediaType', 'digest', 'size'] },
);
const document = fc.record(
  {
    schemaVersion: field(fc.constant(2)),
    mediaType: field(mediaType),
    config: field(descriptor),
    layers: field(fc.array(field(descriptor), { maxLength: 3 })),
    manifests: field(fc.array(field(descriptor), { maxLength: 3 })),
    subject: field(descriptor),
    annotations: field(annotations),
    ['__proto__']: fc.dictionary(key, anyJson, { maxKeys: 2 }),
  },
  { requiredKeys: ['schemaVersion'] },
);

const isStringMap = (v: unknown) =>
  typeof v === 'object' && v !== null && Object.values(v).every((s) => typeof s === 'string');

/** What a decoded descriptor promises, checked again from the outside. */
function checkDescriptor(d: Record<string, unknown>): void {
  expect(typeof d.mediaType).toBe('string');
  expect(typeof d.digest).toBe('string');
  expect(Number.isSafeInteger(d.size) && (d.size as number) >= 0).toBe(true);
  if (d.annotations !== undefined) expect(isStringMap(d.annotations)).toBe(true);
  if (d.urls !== undefined) expect(Array.isArray(d.urls)).toBe(true);
}

function decodeAll(bytes: Uint8Array): void {
  for (const decode of [decodeManifest, decodeIndex, decodeAny]) {
    let value: Record<string, unknown>;
    try {
      value = decode(bytes).value as unknown as Record<string, unknown>;
    } catch (e) {
      if (!isLadingError(e)) throw e;
      continue;
    }
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(value.schemaVersion).toBe(2);
    if (value.annotations !== undefined) expect(isStringMap(value.annotations)).toBe(true);
    const children = [...((value.layers as unknown[]) ?? []), ...((value.manifests as unknown[]) ?? [])];
    if (value.config !== undefined) children.push(value.config);
    for (const c of children) checkDescriptor(c as Record<string, unknown>);
  }
}

const utf8 = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

describe('manifest and index decoders under random input', () => {
  it('near-valid documents with wrong types and hostile keys: checked values or typed errors', () => {
    fc.assert(
      fc.property(document, (d) => decodeAll(utf8(d))),
      { numRuns },
    );
  });

  it('random bytes, random JSON and deep nesting: typed errors only', () => {
    const deep = fc
      .nat({ max: 3000 })
      .map((n) => `{"schemaVersion":2,"layers":${'['.repeat(n)}${']'.repeat(n)}}`);
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      anyJson.map(utf8),
      deep.map((s) => new TextEncoder().encode(s)),
    );
    fc.assert(fc.property(input, decodeAll), { numRuns });
  });
});
