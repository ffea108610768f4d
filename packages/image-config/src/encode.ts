import { goMap, goString, goStruct, goValue } from '@lading/digest';
import type { ContainerConfig, Healthcheck, History, ImageConfig, RootFS } from './types.js';

// The Go structs lading writes, as json.Marshal writes them: fields in declaration order, omitempty left out when
// Go's zero test says so (false, 0, "", nil, and empty slices and maps; a non-nil pointer to a struct always
// stays), maps with their keys sorted. The structs are the image spec's `Image`, `RootFS` and `History`
// (image-spec specs-go/v1/config.go) and BuildKit's Docker extension of `ImageConfig` (Healthcheck, OnBuild,
// Shell: util/dockerspec in BuildKit, the struct its Dockerfile frontend marshals).

type Obj = Record<string, unknown>;
type Encoder = (v: unknown) => string | undefined;

const isNil = (v: unknown) => v === undefined || v === null;

/** omitempty: "" and nil left out. */
const omitEmptyString: Encoder = (v) => (isNil(v) || v === '' ? undefined : goString(v as string));
/** omitempty: false and nil left out. */
const omitEmptyBool: Encoder = (v) => (v === true ? 'true' : undefined);
/** omitempty: 0 and nil left out (Go ints: durations in nanoseconds, retries). */
const omitEmptyInt: Encoder = (v) => (isNil(v) || v === 0 ? undefined : goValue(v));
/** omitempty []string: nil and empty left out. */
const omitEmptyStrings: Encoder = (v) =>
  Array.isArray(v) && v.length > 0 ? `[${v.map((s) => goString(String(s))).join(',')}]` : undefined;
/** omitempty map[string]struct{}: every value is written `{}`. */
const omitEmptySet: Encoder = (v) => {
  const keys = isNil(v) ? [] : Object.keys(v as Obj);
  return keys.length > 0 ? goMap(keys.map((k) => [k, '{}'])) : undefined;
};
/** omitempty map[string]string. */
const omitEmptyStringMap: Encoder = (v) => {
  const entries = isNil(v) ? [] : Object.entries(v as Obj);
  return entries.length > 0 ? goMap(entries.map(([k, s]) => [k, goString(String(s))])) : undefined;
};

/** Encodes `src` as a struct of `fields`, then the members the struct does not know (raw text from `keep` first). */
function encodeStruct(
  src: Obj,
  fields: readonly (readonly [string, Encoder])[],
  keep: ReadonlyMap<string, string> = new Map(),
): string {
  const known = new Set(fields.map(([name]) => name));
  const out: [string, string | undefined][] = fields.map(([name, encode]) => [name, encode(src[name])]);
  // Go's struct would drop these; lading keeps them, after the known fields, so nothing a config carried is lost.
  for (const [k, v] of Object.entries(src)) {
    if (!known.has(k) && v !== undefined) out.push([k, keep.get(k) ?? goValue(v)]);
  }
  return goStruct(out);
}

const historyFields: readonly (readonly [string, Encoder])[] = [
  ['created', omitEmptyString],
  ['created_by', omitEmptyString],
  ['author', omitEmptyString],
  ['comment', omitEmptyString],
  ['empty_layer', omitEmptyBool],
];

const healthFields: readonly (readonly [string, Encoder])[] = [
  ['Test', omitEmptyStrings],
  ['Interval', omitEmptyInt],
  ['Timeout', omitEmptyInt],
  ['StartPeriod', omitEmptyInt],
  ['StartInterval', omitEmptyInt],
  ['Retries', omitEmptyInt],
];

const containerConfigFields: readonly (readonly [string, Encoder])[] = [
  ['User', omitEmptyString],
  ['ExposedPorts', omitEmptySet],
  ['Env', omitEmptyStrings],
  ['Entrypoint', omitEmptyStrings],
  ['Cmd', omitEmptyStrings],
  ['Volumes', omitEmptySet],
  ['WorkingDir', omitEmptyString],
  ['Labels', omitEmptyStringMap],
  ['StopSignal', omitEmptyString],
  ['ArgsEscaped', omitEmptyBool],
  // A pointer: `{}` is written when it is set, whatever it holds.
  ['Healthcheck', (v) => (isNil(v) ? undefined : encodeStruct(v as Healthcheck as Obj, healthFields))],
  ['OnBuild', omitEmptyStrings],
  ['Shell', omitEmptyStrings],
];

/** The names of the `config` object's fields that Go's struct knows. */
export const containerConfigFieldNames: ReadonlySet<string> = new Set(containerConfigFields.map(([n]) => n));

/** A history entry as Go writes an image-spec `History`. */
export function encodeHistory(h: History): string {
  return encodeStruct(h as Obj, historyFields);
}

/** A history list; `undefined` is Go's nil slice (`null`). */
export function encodeHistoryList(history: readonly History[] | undefined): string {
  return history === undefined ? 'null' : `[${history.map(encodeHistory).join(',')}]`;
}

/** `rootfs` as Go writes the image-spec `RootFS` (`diff_ids` has no omitempty: a nil slice is `null`). */
export function encodeRootFS(rootfs: RootFS): string {
  const ids = rootfs.diff_ids;
  return goStruct([
    ['type', goString(rootfs.type)],
    ['diff_ids', ids === null ? 'null' : `[${ids.map((d) => goString(d)).join(',')}]`],
  ]);
}

/**
 * The `config` object as Go writes the struct. `keep` holds the raw text of members the struct does not know, to be
 * written as they came.
 */
export function encodeContainerConfig(
  config: ContainerConfig,
  keep: ReadonlyMap<string, string> = new Map(),
): string {
  return encodeStruct(config as Obj, containerConfigFields, keep);
}

const imageFields: readonly (readonly [string, Encoder])[] = [
  ['created', omitEmptyString],
  ['author', omitEmptyString],
  ['architecture', (v) => goString((v as string | undefined) ?? '')],
  ['os', (v) => goString((v as string | undefined) ?? '')],
  ['os.version', omitEmptyString],
  ['os.features', omitEmptyStrings],
  ['variant', omitEmptyString],
  // A struct is never left out by omitempty: `config` is always written.
  ['config', (v) => encodeContainerConfig((v ?? {}) as ContainerConfig)],
  ['rootfs', (v) => encodeRootFS((v ?? { type: '', diff_ids: null }) as RootFS)],
  ['history', (v) => (Array.isArray(v) && v.length > 0 ? encodeHistoryList(v as History[]) : undefined)],
];

/** A top-level member as Go writes it when it is written anew: the struct's rule for a known one. */
export function encodeImageMember(name: string, value: unknown): string {
  const field = imageFields.find(([n]) => n === name);
  if (field === undefined) return goValue(value);
  // omitempty would leave the member out; a member that is written at all is written whole.
  return field[1](value) ?? goValue(value);
}

/**
 * Encodes a config as Go's json.Marshal of the image spec's `Image` struct does (field order, omitempty, HTML
 * escaping, sorted maps); fields Go does not know follow the known ones.
 */
export function encodeImageConfig(config: ImageConfig): Uint8Array {
  return new TextEncoder().encode(encodeStruct(config as Obj, imageFields));
}
