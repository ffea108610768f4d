import {
  type Digest,
  InvalidInputError,
  isJsonObject,
  maxConfigBytes,
  parseDigest,
  parseJson,
  setOwn,
} from '@lading/digest';
import { normalizeTime } from './time.js';
import type { ContainerConfig, History, ImageConfig } from './types.js';

type Obj = Record<string, unknown>;

/** The largest image config read (defined with the other caps in `@lading/digest`). */
export { maxConfigBytes } from '@lading/digest';

function fail(message: string, cause?: unknown): never {
  throw new InvalidInputError('CONFIG_INVALID', message, cause === undefined ? {} : { cause });
}

/**
 * Parses JSON text of an image config into a plain value: larger than 8 MiB, malformed, nested too deep or not an
 * object is a typed error (`CONFIG_INVALID`).
 */
export function parseJsonObject(bytes: Uint8Array | string, what = 'image config'): Obj {
  // A string is measured as the UTF-8 it stands for, without encoding it.
  const size = Buffer.byteLength(bytes);
  if (size > maxConfigBytes) {
    fail(`${what} is ${size} bytes, more than the ${maxConfigBytes} allowed`);
  }
  const value = parseJson(bytes, { what, code: 'CONFIG_INVALID' });
  // moby's words for a config that is `null`.
  if (value === null) fail(`null ${what}`);
  if (!isJsonObject(value)) {
    fail(`${what} must be a JSON object, got ${Array.isArray(value) ? 'an array' : typeof value}`);
  }
  return value;
}

function expectType(v: unknown, type: 'string' | 'boolean' | 'number', field: string): void {
  if (v !== undefined && v !== null && typeof v !== type)
    fail(`image config field ${field} must be a ${type}`);
}

function expectStrings(v: unknown, field: string): void {
  if (v === undefined || v === null) return;
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string'))
    fail(`image config field ${field} must be a list of strings`);
}

function expectStringMap(v: unknown, field: string, values: 'string' | 'object'): void {
  if (v === undefined || v === null) return;
  if (typeof v !== 'object' || Array.isArray(v)) fail(`image config field ${field} must be an object`);
  for (const [k, x] of Object.entries(v as Obj)) {
    if (values === 'string' ? typeof x !== 'string' : typeof x !== 'object' || Array.isArray(x)) {
      fail(
        `image config field ${field}[${JSON.stringify(k)}] must be ${values === 'string' ? 'a string' : 'an object'}`,
      );
    }
  }
}

/** Reads one history entry as Go's decoder does: field names match case-insensitively, unknown fields dropped. */
function parseHistoryEntry(raw: unknown, index: number): History {
  if (raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) fail(`history[${index}] must be an object`);
  const out: { -readonly [K in keyof History]: History[K] } = {};
  for (const [key, v] of Object.entries(raw as Obj)) {
    const field = `history[${index}].${key}`;
    switch (key.toLowerCase()) {
      case 'created':
        if (v === null) delete out.created;
        else if (typeof v !== 'string') fail(`${field} must be an RFC 3339 time string`);
        else out.created = normalizeTime(v, field);
        break;
      case 'created_by':
        expectType(v, 'string', field);
        if (typeof v === 'string') out.created_by = v;
        break;
      case 'author':
        expectType(v, 'string', field);
        if (typeof v === 'string') out.author = v;
        break;
      case 'comment':
        expectType(v, 'string', field);
        if (typeof v === 'string') out.comment = v;
        break;
      case 'empty_layer':
        expectType(v, 'boolean', field);
        if (typeof v === 'boolean') out.empty_layer = v;
        break;
      default:
    }
  }
  return stripEmpty(out);
}

function stripEmpty(h: History): History {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined && v !== '' && v !== false) setOwn(out, k, v);
  return out as History;
}

function parseHistoryList(v: unknown): History[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) fail('image config field history must be a list');
  return v.map(parseHistoryEntry);
}

/**
 * The history of a config, read as moby's exporter reads it (`parseHistoryFromConfig`): undefined when there is none.
 */
export function parseHistoryFromConfig(bytes: Uint8Array | string): History[] | undefined {
  const obj = parseJsonObject(bytes);
  let history: unknown;
  // encoding/json matches struct fields case-insensitively; a later key wins.
  for (const [k, v] of Object.entries(obj)) if (k.toLowerCase() === 'history') history = v;
  return parseHistoryList(history);
}

function parseDiffIds(v: unknown): Digest[] | null {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v)) fail('image config field rootfs.diff_ids must be a list of digests');
  return v.map((d, i) => parseDiffId(d, i));
}

function parseDiffId(d: unknown, i: number): Digest {
  if (typeof d !== 'string') fail(`rootfs.diff_ids[${i}] must be a digest string`);
  try {
    return parseDigest(d);
  } catch (e) {
    return fail(`rootfs.diff_ids[${i}]: ${(e as Error).message}`, e);
  }
}

function parseContainerConfig(v: unknown): ContainerConfig | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) fail('image config field config must be an object');
  const c = v as Obj;
  for (const f of ['User', 'WorkingDir', 'StopSignal']) expectType(c[f], 'string', `config.${f}`);
  expectType(c.ArgsEscaped, 'boolean', 'config.ArgsEscaped');
  for (const f of ['Env', 'Entrypoint', 'Cmd', 'OnBuild', 'Shell']) expectStrings(c[f], `config.${f}`);
  expectStringMap(c.Labels, 'config.Labels', 'string');
  expectStringMap(c.ExposedPorts, 'config.ExposedPorts', 'object');
  expectStringMap(c.Volumes, 'config.Volumes', 'object');
  if (c.Healthcheck !== undefined && c.Healthcheck !== null) {
    if (typeof c.Healthcheck !== 'object' || Array.isArray(c.Healthcheck))
      fail('config.Healthcheck must be an object');
    const h = c.Healthcheck as Obj;
    expectStrings(h.Test, 'config.Healthcheck.Test');
    for (const f of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries']) {
      expectType(h[f], 'number', `config.Healthcheck.${f}`);
    }
  }
  // Unknown keys are kept, a "__proto__" one as a key: assigned, it would become the prototype, and its fields
  // would read as the config's own without being checked above.
  const out: Obj = {};
  for (const [k, x] of Object.entries(c)) if (x !== null) setOwn(out, k, x);
  return out as ContainerConfig;
}

/**
 * Parses and checks an image config. Known fields must have the right types (typed errors name the field); unknown
 * fields are kept so the config re-encodes with them.
 */
export function parseImageConfig(bytes: Uint8Array | string): ImageConfig {
  const obj = parseJsonObject(bytes);
  expectType(obj.architecture, 'string', 'architecture');
  expectType(obj.os, 'string', 'os');
  expectType(obj.variant, 'string', 'variant');
  expectType(obj.author, 'string', 'author');
  expectType(obj['os.version'], 'string', 'os.version');
  expectStrings(obj['os.features'], 'os.features');
  if (obj.created !== undefined && obj.created !== null && typeof obj.created !== 'string') {
    fail('image config field created must be an RFC 3339 time string');
  }
  const rootfsRaw = obj.rootfs;
  if (
    rootfsRaw !== undefined &&
    rootfsRaw !== null &&
    (typeof rootfsRaw !== 'object' || Array.isArray(rootfsRaw))
  ) {
    fail('image config field rootfs must be an object');
  }
  const rootfs = (rootfsRaw ?? {}) as Obj;
  expectType(rootfs.type, 'string', 'rootfs.type');
  const out: Obj = {};
  for (const [k, v] of Object.entries(obj)) if (v !== null) setOwn(out, k, v);
  if (typeof obj.created === 'string') out.created = normalizeTime(obj.created, 'created');
  out.architecture = obj.architecture ?? '';
  out.os = obj.os ?? '';
  const config = parseContainerConfig(obj.config);
  if (config === undefined) delete out.config;
  else out.config = config;
  out.rootfs = { type: (rootfs.type as string | undefined) ?? '', diff_ids: parseDiffIds(rootfs.diff_ids) };
  const history = parseHistoryList(obj.history);
  if (history === undefined) delete out.history;
  else out.history = history;
  return out as ImageConfig;
}
