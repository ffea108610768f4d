import { parseBoolAttr } from '@lading/digest';

/** One `--cache-to` / `--cache-from` target, checked (the CLI's `checkCacheSpecs` makes these from the flags). */
export interface CacheSpec {
  readonly type: 'local' | 'registry' | 'inline';
  readonly attrs: Record<string, string>;
  /** The flag's text, for messages. */
  readonly text: string;
}

/** `registry.insecure=true` (any of Go's spellings): plain HTTP or unverified TLS for this cache's registry. */
export function registryInsecure(spec: CacheSpec): boolean {
  return parseBoolAttr(spec.attrs, 'registry.insecure', false, { emptyIsTrue: false, code: 'CACHE_ATTR' });
}
