import { goStringify } from './go-json.js';
import type { ContainerConfig, Healthcheck, History, ImageConfig } from './types.js';

type Obj = Record<string, unknown>;

// Go's omitempty: false, 0, "", nil, and empty arrays and maps are left out.
function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v as Obj).length === 0;
  return false;
}

function ordered(src: Obj, fields: readonly (readonly [string, 'omitempty' | 'always'])[]): Obj {
  const out: Obj = {};
  const known = new Set<string>();
  for (const [name, rule] of fields) {
    known.add(name);
    const v = src[name];
    if (rule === 'omitempty' ? isEmpty(v) : v === undefined) continue;
    out[name] = v;
  }
  // Fields Go's struct does not know are kept after the known ones, in their own order.
  for (const [k, v] of Object.entries(src)) if (!known.has(k) && v !== undefined) out[k] = v;
  return out;
}

const historyFields = [
  ['created', 'omitempty'],
  ['created_by', 'omitempty'],
  ['author', 'omitempty'],
  ['comment', 'omitempty'],
  ['empty_layer', 'omitempty'],
] as const;

const healthFields = [
  ['Test', 'omitempty'],
  ['Interval', 'omitempty'],
  ['Timeout', 'omitempty'],
  ['StartPeriod', 'omitempty'],
  ['StartInterval', 'omitempty'],
  ['Retries', 'omitempty'],
] as const;

const configFields = [
  ['User', 'omitempty'],
  ['ExposedPorts', 'omitempty'],
  ['Env', 'omitempty'],
  ['Entrypoint', 'omitempty'],
  ['Cmd', 'omitempty'],
  ['Volumes', 'omitempty'],
  ['WorkingDir', 'omitempty'],
  ['Labels', 'omitempty'],
  ['StopSignal', 'omitempty'],
  ['ArgsEscaped', 'omitempty'],
  ['Healthcheck', 'omitempty'],
  ['OnBuild', 'omitempty'],
  ['Shell', 'omitempty'],
] as const;

/** A history entry in Go's field order. */
export function historyObject(h: History): Obj {
  return ordered(h as Obj, historyFields);
}

function configObject(c: ContainerConfig): Obj {
  const o = ordered(c as Obj, configFields);
  if (c.Healthcheck) o.Healthcheck = ordered(c.Healthcheck as Healthcheck as Obj, healthFields);
  return o;
}

/**
 * Encodes a config as Go's json.Marshal of the image spec's `Image` struct does (field order, omitempty, HTML
 * escaping); fields Go does not know follow the known ones.
 */
export function encodeImageConfig(config: ImageConfig): Uint8Array {
  const src = config as Obj;
  const out: Obj = {};
  for (const k of ['created', 'author'] as const) if (!isEmpty(src[k])) out[k] = src[k];
  out.architecture = config.architecture ?? '';
  out.os = config.os ?? '';
  for (const k of ['os.version', 'os.features', 'variant'] as const) if (!isEmpty(src[k])) out[k] = src[k];
  // A struct is never omitted by omitempty: `config` is always written.
  out.config = configObject(config.config ?? {});
  out.rootfs = { type: config.rootfs.type, diff_ids: config.rootfs.diff_ids ?? null };
  if (!isEmpty(config.history)) out.history = (config.history ?? []).map(historyObject);
  const known = new Set([
    'created',
    'author',
    'architecture',
    'os',
    'os.version',
    'os.features',
    'variant',
    'config',
    'rootfs',
    'history',
  ]);
  for (const [k, v] of Object.entries(src)) if (!known.has(k) && v !== undefined) out[k] = v;
  return new TextEncoder().encode(goStringify(out));
}
