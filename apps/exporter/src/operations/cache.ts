import { resolve } from 'node:path';
import { type Digest, digestOf, OptionError } from '@lading/digest';
import type { CacheExportTarget } from '@lading/remote-cache';
import { parseOutputSpec } from '../cli/output-spec.js';
import { singleImage } from '../exporters/image-options.js';
import type { ExportProgress, ExportSource } from '../plugin/types.js';

export interface CacheSpec {
  readonly type: 'local' | 'registry';
  readonly attrs: Record<string, string>;
}

function checkOne(spec: string, flag: string): CacheSpec {
  const { type, attrs } = parseOutputSpec(spec, flag);
  if (type === 'local') {
    const key = flag === '--cache-to' ? 'dest' : 'src';
    if (!attrs[key])
      throw new OptionError('CACHE_LOCAL_PATH', `${flag} type=local needs ${key}=DIR`, { key });
    return { type, attrs };
  }
  if (type === 'registry') {
    if (!attrs.ref)
      throw new OptionError('CACHE_REGISTRY_REF', `${flag} type=registry needs ref=REGISTRY/REPO:TAG`, {
        key: 'ref',
      });
    return { type, attrs };
  }
  throw new OptionError('CACHE_TYPE', `${flag} type=${type}: use local or registry`, { key: 'type' });
}

/** Validates --cache-to / --cache-from before any work. */
export function checkCacheSpecs(
  to: readonly string[],
  from: readonly string[],
): { to: CacheSpec[]; from: CacheSpec[] } {
  return { to: to.map((s) => checkOne(s, '--cache-to')), from: from.map((s) => checkOne(s, '--cache-from')) };
}

/** The cache key of the first `n` layers: a chain over their diff IDs, as a layer chain ID is. */
export function layerCacheKeys(diffIds: readonly Digest[]): Digest[] {
  const keys: Digest[] = [];
  let prev = '';
  for (const d of diffIds) {
    const k = digestOf(new TextEncoder().encode(`lading.layer.v0 ${prev} ${d}`));
    keys.push(k);
    prev = k;
  }
  return keys;
}

/**
 * Exports the image's layer chain as a BuildKit cache (one record per layer, each linked to the one below) to each
 * --cache-to target: an OCI layout (`type=local,dest=DIR`) or a registry (`type=registry,ref=...`, through push's
 * RegistryTarget). Returns each target's `cache.manifest` response.
 */
export async function exportLayerCache(
  specs: readonly string[],
  source: ExportSource,
  options: { signal?: AbortSignal; progress?: ExportProgress; cwd?: string },
): Promise<Record<string, string>[]> {
  const { CacheChains, exportCache, openLocalCacheTarget, parseCacheExportOptions } = await import(
    '@lading/remote-cache'
  );
  const image = singleImage(source);
  const chains = new CacheChains();
  const keys = layerCacheKeys(image.layers.map((l) => l.diffId));
  let prev: ReturnType<typeof chains.add> | undefined;
  for (const [i, key] of keys.entries()) {
    const rec = chains.add(key);
    if (prev) chains.link(prev, rec, { input: 0 });
    chains.addResult(
      rec,
      { descriptors: image.layers.slice(0, i + 1).map((l) => l.descriptor), provider: source.provider },
      { createdAt: new Date() },
    );
    prev = rec;
  }
  const responses: Record<string, string>[] = [];
  for (const spec of checkCacheSpecs(specs, []).to) {
    const opts = parseCacheExportOptions(spec.attrs);
    let target: CacheExportTarget;
    if (spec.type === 'local') {
      target = await openLocalCacheTarget(resolve(options.cwd ?? process.cwd(), spec.attrs.dest as string), {
        tag: spec.attrs.tag ?? 'latest',
      });
    } else {
      const { RegistryClient, RegistryTarget } = await import('@lading/push');
      const { parseNormalizedReference } = await import('@lading/reference-store/reference');
      const ref = parseNormalizedReference(spec.attrs.ref as string);
      const insecure = spec.attrs['registry.insecure'] === 'true';
      const client = new RegistryClient(ref.registry, insecure ? { insecure: true } : {});
      const sink = new RegistryTarget(client, ref.repository);
      const tag = ref.tag ?? 'latest';
      target = {
        sink,
        name: async (root: Parameters<typeof sink.tag>[0], bytes: Uint8Array) => {
          await sink.tag(root, tag, { bytes, ...(options.signal ? { signal: options.signal } : {}) });
        },
      };
    }
    options.progress?.start(`cache ${spec.type}`, `exporting cache to ${spec.type}`);
    const result = await exportCache(chains, target, {
      ...opts,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    options.progress?.done(`cache ${spec.type}`);
    responses.push(result.response);
  }
  return responses;
}

/** Imports each --cache-from cache, checking it reads; returns how many records each holds. */
export async function importLayerCaches(
  specs: readonly string[],
  options: { cwd?: string } = {},
): Promise<number[]> {
  const { importLocalCache } = await import('@lading/remote-cache');
  const out: number[] = [];
  for (const spec of checkCacheSpecs([], specs).from) {
    if (spec.type === 'local') {
      const c = await importLocalCache(resolve(options.cwd ?? process.cwd(), spec.attrs.src as string), {
        tag: spec.attrs.tag ?? 'latest',
      });
      out.push(c.records.size);
    } else {
      throw new OptionError(
        'CACHE_FROM_REGISTRY',
        '--cache-from type=registry is not supported yet: use type=local,src=DIR',
        { key: 'cache-from' },
      );
    }
  }
  return out;
}
