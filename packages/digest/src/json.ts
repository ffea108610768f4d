import { InvalidInputError } from './errors.js';

/**
 * How deeply arrays and objects may nest in JSON read from outside. Go's encoding/json stops at 10000, but V8's
 * `JSON.stringify` (and any recursive walk of ours) overflows the stack a little above 4000 on the main thread;
 * no manifest, config or store file comes anywhere near 1000.
 */
export const maxJsonDepth = 1000;

export interface ParseJsonOptions {
  /** What the bytes are, for messages: `image config`, `manifest`, `/path/index.json`. Default `JSON`. */
  readonly what?: string;
  /** The `code` of the `InvalidInputError` thrown for malformed input. Default `JSON_INVALID`. */
  readonly code?: string;
  /** Default `maxJsonDepth`. */
  readonly maxDepth?: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function fail(options: ParseJsonOptions, why: string, cause?: unknown): never {
  throw new InvalidInputError(
    options.code ?? 'JSON_INVALID',
    `${options.what ?? 'JSON'} ${why}`,
    cause === undefined ? {} : { cause },
  );
}

/**
 * Whether arrays and objects nest deeper than `max` anywhere in `text`, found by one scan that skips strings, before
 * anything recursive sees the value. Malformed text is scanned too: `JSON.parse` reports its syntax afterwards.
 */
export function jsonNestsDeeperThan(text: string, max: number): boolean {
  // Each level takes at least one character.
  if (text.length <= max) return false;
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: jump to its closing quote (one not escaped by an odd run of backslashes).
      for (;;) {
        const q = text.indexOf('"', i + 1);
        if (q < 0) return false;
        let slashes = 0;
        while (text.charCodeAt(q - 1 - slashes) === 0x5c) slashes++;
        i = q;
        if (slashes % 2 === 0) break;
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

/**
 * Parses JSON from outside (a registry, a file, an archive) into a plain value; never throws anything but an
 * `InvalidInputError`. Bytes must be UTF-8 (a byte-order mark is refused, as Go's decoder refuses it); nesting beyond
 * `maxDepth` is refused before `JSON.parse` runs.
 *
 * A `"__proto__"` key comes back as an own data property, as `JSON.parse` makes it: it never sets a prototype here.
 * It would if copied by assignment (`out[key] = v`, `Object.assign`): copy with `setOwn` (or spread or
 * `Object.fromEntries`, which define properties) instead.
 */
export function parseJson(input: Uint8Array | string, options: ParseJsonOptions = {}): unknown {
  let text: string;
  if (typeof input === 'string') text = input;
  else {
    try {
      text = utf8.decode(input);
    } catch (cause) {
      fail(options, 'is not valid UTF-8', cause);
    }
  }
  const max = options.maxDepth ?? maxJsonDepth;
  if (jsonNestsDeeperThan(text, max)) fail(options, `nests arrays and objects more than ${max} levels deep`);
  try {
    return JSON.parse(text);
  } catch (cause) {
    fail(options, `is not valid JSON: ${(cause as Error).message}`, cause);
  }
}

export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `parseJson`, and the value must be an object (not `null`, an array or a scalar). */
export function parseJsonObject(
  input: Uint8Array | string,
  options: ParseJsonOptions = {},
): Record<string, unknown> {
  const value = parseJson(input, options);
  if (!isJsonObject(value)) {
    fail(
      options,
      `must be a JSON object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`,
    );
  }
  return value;
}

/**
 * `target[key] = value` as a data property: a `"__proto__"` key from outside stays a key instead of replacing the
 * target's prototype (which would let its fields be read through the target without being validated).
 */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}
