import { isDeepStrictEqual } from 'node:util';
import { encodeRawMap, splitObject } from '@lading/digest';
import { containerConfigFieldNames, encodeContainerConfig, encodeImageMember } from './encode.js';
import { parseImageConfig } from './parse.js';
import type { ContainerConfig, ImageConfig } from './types.js';

const decode = (config: Uint8Array | string) =>
  typeof config === 'string' ? config : new TextDecoder().decode(config);
const encode = (config: Uint8Array | string) =>
  typeof config === 'string' ? new TextEncoder().encode(config) : config;

/** The `config` member written anew: Go's struct, with the raw text of unknown members the edit left alone. */
function encodeEditedConfig(
  raw: string | undefined,
  before: ContainerConfig | undefined,
  after: ContainerConfig,
): string {
  const keep = new Map<string, string>();
  if (raw?.trimStart().startsWith('{')) {
    for (const [k, text] of splitObject(raw)) {
      if (!containerConfigFieldNames.has(k) && isDeepStrictEqual(before?.[k], after[k])) keep.set(k, text);
    }
  }
  return encodeContainerConfig(after, keep);
}

/**
 * Edits a config that came in (a `--config` file, a base image's, a plugin's `containerimage.config`) and writes
 * back only what the edit changed, as moby's and BuildKit's exporters keep what they do not patch
 * (`map[string]json.RawMessage`): every top-level member the edit left equal keeps its bytes (compacted, Go's
 * escaping); a changed one is written as Go's json.Marshal writes the image spec's struct for it (the whole
 * `config` object when any of its fields changed); a member the edit removed goes. Members come out in Go's map
 * order. An edit that changes nothing returns the input bytes as they are.
 */
export function rewriteImageConfig(
  config: Uint8Array | string,
  update: (config: ImageConfig) => ImageConfig,
): Uint8Array {
  const before = parseImageConfig(config);
  const after = update(before);
  const members = splitObject(decode(config));
  let changed = false;
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const was = before[key];
    const now = after[key];
    if (isDeepStrictEqual(was, now)) continue;
    changed = true;
    if (now === undefined) members.delete(key);
    else if (key === 'config') {
      members.set(
        key,
        encodeEditedConfig(members.get(key), was as ContainerConfig | undefined, now as ContainerConfig),
      );
    } else members.set(key, encodeImageMember(key, now));
  }
  return changed ? new TextEncoder().encode(encodeRawMap(members)) : encode(config);
}

/**
 * A base image's config as BuildKit's Dockerfile frontend starts a build from it (`img.Created = nil` in
 * dockerfile2llb's convert.go): without `created`, so the exporter's patch dates the image from the build's history;
 * every other member keeps its bytes. A config without `created` comes back as it is.
 */
export function withoutCreated(config: Uint8Array | string): Uint8Array {
  parseImageConfig(config);
  const members = splitObject(decode(config));
  if (!members.has('created')) return encode(config);
  members.delete('created');
  return new TextEncoder().encode(encodeRawMap(members));
}
