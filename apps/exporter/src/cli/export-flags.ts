import { formatPlatform, OptionError, type Platform, parsePlatform } from '@lading/digest';
import type { LayerInput } from '../operations/build-source.js';

/** A JSON array of strings, or a plain string run with `/bin/sh -c` (Dockerfile's shell form). */
export function parseCommandFlag(value: string, flag: string): string[] {
  const t = value.trim();
  if (t.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(t);
    } catch (cause) {
      throw new OptionError(
        'COMMAND_JSON',
        `--${flag} ${value}: not a JSON array: ${(cause as Error).message}`,
        { key: flag, cause },
      );
    }
    if (!Array.isArray(parsed) || parsed.some((x) => typeof x !== 'string')) {
      throw new OptionError('COMMAND_JSON', `--${flag} ${value}: expected a JSON array of strings`, {
        key: flag,
      });
    }
    return parsed as string[];
  }
  if (t === '') return [];
  return ['/bin/sh', '-c', value];
}

export function keyValues(list: readonly string[] | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list ?? []) {
    const eq = kv.indexOf('=');
    if (eq <= 0)
      throw new OptionError('KEY_VALUE', `--${flag} ${JSON.stringify(kv)}: expected KEY=VALUE`, {
        key: flag,
      });
    out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}

/** `--platform a,b` and `--platform-layer P=DIR`: the platforms and each one's own layers. */
export function platformOptions(
  list: string | undefined,
  layers: readonly string[] | undefined,
): { platform?: Platform; platforms?: Platform[]; platformLayers?: Record<string, LayerInput[]> } {
  const platforms = (list ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) => parsePlatform(p));
  const ids = platforms.map(formatPlatform);
  const own: Record<string, LayerInput[]> = {};
  for (const spec of layers ?? []) {
    const eq = spec.indexOf('=');
    if (eq <= 0 || eq === spec.length - 1) {
      throw new OptionError(
        'PLATFORM_LAYER',
        `--platform-layer ${JSON.stringify(spec)}: expected OS/ARCH=DIR`,
        {
          key: 'platform-layer',
        },
      );
    }
    const id = formatPlatform(parsePlatform(spec.slice(0, eq)));
    if (!ids.includes(id)) {
      throw new OptionError(
        'PLATFORM_LAYER_UNLISTED',
        `--platform-layer ${spec}: ${id} is not in --platform (${ids.join(',') || 'none given'})`,
        { key: 'platform-layer' },
      );
    }
    own[id] = [...(own[id] ?? []), { kind: 'dir', path: spec.slice(eq + 1) }];
  }
  return {
    ...(platforms.length === 1 ? { platform: platforms[0] as Platform } : {}),
    ...(platforms.length > 1 ? { platforms } : {}),
    ...(Object.keys(own).length > 0 ? { platformLayers: own } : {}),
  };
}
