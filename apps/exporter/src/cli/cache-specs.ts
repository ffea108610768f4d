import { OptionError, parseBoolAttr, parseDigest } from '@lading/digest';
import type { CacheSpec } from '../operations/cache-spec.js';
import { parseOutputSpec } from './output-spec.js';

type ExportOptionsParser = typeof import('@lading/remote-cache')['parseCacheExportOptions'];

function checkOne(
  spec: string,
  flag: '--cache-to' | '--cache-from',
  parseExportOptions: ExportOptionsParser,
): CacheSpec {
  // buildx's shorthand: a bare reference is a registry cache.
  const bare = !spec.includes('=') && !spec.includes(',') && spec.trim() !== '';
  const { type, attrs } = bare ? { type: 'registry', attrs: { ref: spec } } : parseOutputSpec(spec, flag);
  if (type === 'local') {
    const key = flag === '--cache-to' ? 'dest' : 'src';
    if (!attrs[key])
      throw new OptionError('CACHE_LOCAL_PATH', `${flag} type=local needs ${key}=DIR`, { key });
    if (flag === '--cache-from' && attrs.digest !== undefined) {
      try {
        parseDigest(attrs.digest);
      } catch (cause) {
        throw new OptionError('CACHE_ATTR', `${flag} ${spec}: digest=${attrs.digest} is not a digest`, {
          key: 'digest',
          cause,
        });
      }
    }
  } else if (type === 'registry') {
    if (!attrs.ref)
      throw new OptionError('CACHE_REGISTRY_REF', `${flag} type=registry needs ref=REGISTRY/REPO:TAG`, {
        key: 'ref',
      });
    try {
      parseBoolAttr(attrs, 'registry.insecure', false, { emptyIsTrue: false, code: 'CACHE_ATTR' });
    } catch (error) {
      // The same error, with the flag it came from.
      throw new OptionError('CACHE_ATTR', `${flag} ${spec}: ${(error as Error).message}`, {
        key: 'registry.insecure',
      });
    }
  } else if (type !== 'inline' || flag === '--cache-from') {
    const use =
      flag === '--cache-to'
        ? 'use local or registry, or inline (the cache in the image config)'
        : 'use local or registry (an image with an inline cache is read with type=registry)';
    throw new OptionError('CACHE_TYPE', `${flag} type=${type}: ${use}`, { key: 'type' });
  }
  if (flag === '--cache-to' && type !== 'inline') {
    try {
      // Checks mode, oci-mediatypes, image-manifest, compression*, ignore-error before any work.
      parseExportOptions(attrs);
    } catch (cause) {
      throw new OptionError('CACHE_ATTR', `${flag} ${spec}: ${(cause as Error).message}`, { cause });
    }
  }
  return { type: type as CacheSpec['type'], attrs, text: spec };
}

/**
 * Validates --cache-to / --cache-from before any work: the type, the path or reference, and every attribute's
 * value (a malformed attribute is the one cache mistake that stops an export).
 */
export async function checkCacheSpecs(
  to: readonly string[],
  from: readonly string[],
): Promise<{ to: CacheSpec[]; from: CacheSpec[] }> {
  const { parseCacheExportOptions } = await import('@lading/remote-cache');
  const out = {
    to: to.map((s) => checkOne(s, '--cache-to', parseCacheExportOptions)),
    from: from.map((s) => checkOne(s, '--cache-from', parseCacheExportOptions)),
  };
  const registry = [...out.to, ...out.from].filter((s) => s.type === 'registry');
  if (registry.length > 0) {
    const { parseNormalizedReference } = await import('@lading/reference-store/reference');
    for (const s of registry) {
      try {
        parseNormalizedReference(s.attrs.ref as string);
      } catch (cause) {
        throw new OptionError('CACHE_REGISTRY_REF', `cache ref ${s.attrs.ref}: ${(cause as Error).message}`, {
          key: 'ref',
          cause,
        });
      }
    }
  }
  return out;
}
