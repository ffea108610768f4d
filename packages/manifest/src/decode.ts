import { maxManifestBytes } from '@lading/content-store';
import {
  type Descriptor,
  Digester,
  digestAlgorithm,
  digestOf,
  IntegrityError,
  InvalidInputError,
  isLadingError,
  MediaType,
  parseDigest,
  parseJson as parseOutsideJson,
} from '@lading/digest';
import type { Encoded, ImageIndex, ImageManifest } from './types.js';

// Manifests and indexes are small; anything bigger is refused before parsing (as containerd does). One cap for
// every reader: the content store's.
export { maxManifestBytes } from '@lading/content-store';

export interface DecodeOptions {
  /** The descriptor the bytes were fetched by: size, digest and media type are checked against it. */
  readonly expected?: Descriptor;
  readonly maxBytes?: number;
}

const manifestTypes = new Set<string>([MediaType.ociManifest, MediaType.dockerManifest]);
const indexTypes = new Set<string>([MediaType.ociIndex, MediaType.dockerManifestList]);
const mediaTypeGrammar = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

function fail(code: string, message: string, cause?: unknown): never {
  throw new InvalidInputError(code, message, cause === undefined ? {} : { cause });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkString(v: unknown, where: string, code: string): string {
  if (typeof v !== 'string') fail(code, `${where}: expected a string, got ${describe(v)}`);
  return v;
}

function describe(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
}

function checkMediaType(v: unknown, where: string, code: string): string {
  const s = checkString(v, where, code);
  if (!mediaTypeGrammar.test(s))
    fail(code, `${where}: ${JSON.stringify(s.slice(0, 80))} is not a media type`);
  return s;
}

function checkStringArray(v: unknown, where: string, code: string): void {
  if (!Array.isArray(v)) fail(code, `${where}: expected an array of strings, got ${describe(v)}`);
  for (const [i, s] of v.entries()) checkString(s, `${where}[${i}]`, code);
}

export function checkAnnotations(v: unknown, where: string, code = 'MANIFEST_INVALID'): void {
  if (!isObject(v)) fail(code, `${where}: expected an object of strings, got ${describe(v)}`);
  for (const [k, s] of Object.entries(v)) checkString(s, `${where}[${JSON.stringify(k)}]`, code);
}

function checkPlatform(v: unknown, where: string, code: string): void {
  if (!isObject(v)) fail(code, `${where}: expected an object, got ${describe(v)}`);
  checkString(v.architecture, `${where}.architecture`, code);
  checkString(v.os, `${where}.os`, code);
  if (v['os.version'] !== undefined) checkString(v['os.version'], `${where}["os.version"]`, code);
  if (v.variant !== undefined) checkString(v.variant, `${where}.variant`, code);
  if (v['os.features'] !== undefined) checkStringArray(v['os.features'], `${where}["os.features"]`, code);
  if (v.features !== undefined) checkStringArray(v.features, `${where}.features`, code);
}

/** Validates an untrusted descriptor; unknown fields are kept. */
export function checkDescriptor(v: unknown, where: string, code = 'MANIFEST_INVALID'): Descriptor {
  if (!isObject(v)) fail(code, `${where}: expected a descriptor object, got ${describe(v)}`);
  checkMediaType(v.mediaType, `${where}.mediaType`, code);
  try {
    parseDigest(checkString(v.digest, `${where}.digest`, code));
  } catch (err) {
    if (isLadingError(err) && err.code === code) throw err;
    fail(code, `${where}.digest: ${err instanceof Error ? err.message : String(err)}`, err);
  }
  const size = v.size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    fail(
      code,
      `${where}.size: expected a non-negative safe integer, got ${JSON.stringify(size) ?? describe(size)}`,
    );
  }
  if (v.urls !== undefined) checkStringArray(v.urls, `${where}.urls`, code);
  if (v.annotations !== undefined) checkAnnotations(v.annotations, `${where}.annotations`, code);
  if (v.data !== undefined) {
    const data = checkString(v.data, `${where}.data`, code);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data) || data.length % 4 !== 0)
      fail(code, `${where}.data: not base64`);
  }
  if (v.platform !== undefined) checkPlatform(v.platform, `${where}.platform`, code);
  if (v.artifactType !== undefined) checkMediaType(v.artifactType, `${where}.artifactType`, code);
  return v as unknown as Descriptor;
}

/** Checks bytes against the descriptor they were fetched by. */
export function verifyBytes(bytes: Uint8Array, expected: Descriptor): void {
  if (bytes.byteLength !== expected.size) {
    throw new IntegrityError(
      'SIZE_MISMATCH',
      `content ${expected.digest}: expected ${expected.size} bytes, got ${bytes.byteLength}; the source served other content`,
      { expected: String(expected.size), actual: String(bytes.byteLength) },
    );
  }
  const actual = new Digester(digestAlgorithm(expected.digest)).update(bytes).digest();
  if (actual !== expected.digest) {
    throw new IntegrityError('DIGEST_MISMATCH', `content ${expected.digest}: bytes hash to ${actual}`, {
      expected: expected.digest,
      actual,
    });
  }
}

function parseJson(bytes: Uint8Array, options: DecodeOptions, what: string): Record<string, unknown> {
  const max = options.maxBytes ?? maxManifestBytes;
  // A descriptor that declares more than the cap is refused before its bytes are looked at.
  if (options.expected !== undefined && options.expected.size > max) {
    fail(
      'MANIFEST_TOO_LARGE',
      `${what}: its descriptor declares ${options.expected.size} bytes, over the ${max}-byte limit`,
    );
  }
  if (bytes.byteLength > max) {
    fail('MANIFEST_TOO_LARGE', `${what}: ${bytes.byteLength} bytes exceeds the ${max}-byte limit`);
  }
  if (options.expected !== undefined) verifyBytes(bytes, options.expected);
  // Typed errors only: bad UTF-8 or syntax, and nesting too deep for anything that walks the value later.
  const parsed = parseOutsideJson(bytes, { what, code: 'MANIFEST_INVALID' });
  if (!isObject(parsed)) fail('MANIFEST_INVALID', `${what}: expected a JSON object, got ${describe(parsed)}`);
  if (parsed.schemaVersion !== 2) {
    fail(
      'MANIFEST_INVALID',
      `${what}.schemaVersion: expected 2, got ${JSON.stringify(parsed.schemaVersion) ?? 'nothing'}`,
    );
  }
  return parsed;
}

/** The media type named by the field, the expected descriptor, or a default; mismatches are refused. */
function resolveMediaType(
  json: Record<string, unknown>,
  options: DecodeOptions,
  allowed: ReadonlySet<string>,
  fallback: string,
  what: string,
): string {
  const field =
    json.mediaType === undefined
      ? undefined
      : checkMediaType(json.mediaType, `${what}.mediaType`, 'MANIFEST_INVALID');
  const expected = options.expected?.mediaType;
  if (field !== undefined && expected !== undefined && field !== expected) {
    fail('MEDIA_TYPE_MISMATCH', `${what}.mediaType is ${field} but the descriptor says ${expected}`);
  }
  const mt = field ?? expected ?? fallback;
  if (!allowed.has(mt))
    fail('MEDIA_TYPE_UNSUPPORTED', `${what}: media type ${mt} is not one of ${[...allowed].join(', ')}`);
  // Docker's schema2 always carries its media type in the body.
  if (field === undefined && mt.startsWith('application/vnd.docker.')) {
    fail('MANIFEST_INVALID', `${what}.mediaType: missing, required for ${mt}`);
  }
  return mt;
}

function descriptorFor(bytes: Uint8Array, mediaType: string, options: DecodeOptions): Descriptor {
  if (options.expected !== undefined) return options.expected;
  return { mediaType, digest: digestOf(bytes), size: bytes.byteLength };
}

function checkCommon(json: Record<string, unknown>, what: string): void {
  if (json.artifactType !== undefined)
    checkMediaType(json.artifactType, `${what}.artifactType`, 'MANIFEST_INVALID');
  if (json.subject !== undefined) checkDescriptor(json.subject, `${what}.subject`);
  if (json.annotations !== undefined) checkAnnotations(json.annotations, `${what}.annotations`);
}

/** Decodes and validates untrusted manifest bytes; the exact bytes are kept. */
export function decodeManifest(bytes: Uint8Array, options: DecodeOptions = {}): Encoded<ImageManifest> {
  const json = parseJson(bytes, options, 'manifest');
  const mediaType = resolveMediaType(json, options, manifestTypes, MediaType.ociManifest, 'manifest');
  if (json.manifests !== undefined)
    fail('MANIFEST_INVALID', 'manifest: has a "manifests" field; is this an index?');
  checkDescriptor(json.config, 'manifest.config');
  if (!Array.isArray(json.layers))
    fail('MANIFEST_INVALID', `manifest.layers: expected an array, got ${describe(json.layers)}`);
  for (const [i, l] of json.layers.entries()) checkDescriptor(l, `manifest.layers[${i}]`);
  checkCommon(json, 'manifest');
  return {
    value: json as unknown as ImageManifest,
    bytes,
    descriptor: descriptorFor(bytes, mediaType, options),
  };
}

/** Decodes and validates an untrusted index or manifest list; the exact bytes are kept. */
export function decodeIndex(bytes: Uint8Array, options: DecodeOptions = {}): Encoded<ImageIndex> {
  const json = parseJson(bytes, options, 'index');
  const mediaType = resolveMediaType(json, options, indexTypes, MediaType.ociIndex, 'index');
  if (json.config !== undefined || json.layers !== undefined) {
    fail('MANIFEST_INVALID', 'index: has "config" or "layers"; is this a manifest?');
  }
  if (!Array.isArray(json.manifests)) {
    fail('MANIFEST_INVALID', `index.manifests: expected an array, got ${describe(json.manifests)}`);
  }
  for (const [i, m] of json.manifests.entries()) checkDescriptor(m, `index.manifests[${i}]`);
  checkCommon(json, 'index');
  return {
    value: json as unknown as ImageIndex,
    bytes,
    descriptor: descriptorFor(bytes, mediaType, options),
  };
}

export type DecodedAny =
  | ({ readonly kind: 'manifest' } & Encoded<ImageManifest>)
  | ({ readonly kind: 'index' } & Encoded<ImageIndex>);

/** Decodes a manifest or an index, chosen by media type (field, then descriptor), else by shape. */
export function decodeAny(bytes: Uint8Array, options: DecodeOptions = {}): DecodedAny {
  let mt = options.expected?.mediaType;
  if (mt === undefined || (!manifestTypes.has(mt) && !indexTypes.has(mt))) {
    // Peek without trusting: the chosen decoder validates everything.
    const json = parseJson(bytes, { maxBytes: options.maxBytes ?? maxManifestBytes }, 'manifest');
    mt =
      typeof json.mediaType === 'string'
        ? json.mediaType
        : json.manifests !== undefined
          ? MediaType.ociIndex
          : MediaType.ociManifest;
  }
  if (indexTypes.has(mt)) return { kind: 'index', ...decodeIndex(bytes, options) };
  return { kind: 'manifest', ...decodeManifest(bytes, options) };
}
