import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import type { FullStore, Provider } from '@lading/content-store';
import {
  type Compression,
  type Descriptor,
  type Digest,
  digestOf,
  layerCompression,
  OptionError,
  parseDigest,
} from '@lading/digest';
import type { CacheExportTarget, ImportedCache } from '@lading/remote-cache';
import { parseOutputSpec } from '../cli/output-spec.js';
import { singleImage } from '../exporters/image-options.js';
import type { ExportLayer, ExportProgress, ExportSource } from '../plugin/types.js';
import type { LayerInput } from './build-source.js';

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

/** What changes a layer's bytes besides its input. */
export interface LayerKeySettings {
  readonly compression: Compression;
  readonly level?: number;
  readonly oci: boolean;
  readonly epoch?: Date;
}

async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * The content key of a tree, as BuildKit checksums a build context: every entry's path, type and permission bits,
 * owner, size, link target and (for files) content digest; not inode, ctime or mtime, so that the same tree checked
 * out elsewhere (another CI runner) finds the same cache record.
 */
async function treeContentKey(dir: string): Promise<string> {
  const { readTreeEntries } = await import('@lading/layer');
  const h = createHash('sha256');
  h.update('lading.tree.v1\n');
  for (const e of readTreeEntries(resolve(dir))) {
    const content = e.type === 'file' ? await fileSha256(e.abs) : '';
    h.update(
      `${e.path}\0${e.type}\0${e.mode}\0${e.uid}\0${e.gid}\0${e.size}\0${e.rdev}\0${e.linkTarget ?? ''}\0${content}\n`,
    );
  }
  return h.digest('hex');
}

async function inputKey(input: LayerInput): Promise<string> {
  if (input.kind === 'dir') return `dir ${await treeContentKey(input.path)}`;
  if (input.kind === 'tarball') return `tarball ${await fileSha256(resolve(input.path))}`;
  return `diff ${await treeContentKey(input.lower)} ${await treeContentKey(input.upper)}`;
}

/**
 * The cache key of each input layer: a chain over the base image (its manifest digest), the layer settings and the
 * content keys of the inputs up to that one, as BuildKit chains an operation's key over its inputs' keys. Computed
 * without building any tar, so a hit skips the build entirely.
 */
export async function layerCacheKeys(
  inputs: readonly LayerInput[],
  settings: LayerKeySettings,
  base?: Digest,
): Promise<Digest[]> {
  const keys: Digest[] = [];
  const s = JSON.stringify({
    compression: settings.compression,
    level: settings.level ?? null,
    oci: settings.oci,
    epoch: settings.epoch ? Math.floor(settings.epoch.getTime() / 1000) : null,
  });
  let prev = `lading.layer.v1 ${s} ${base ?? ''}`;
  for (const input of inputs) {
    const k = digestOf(new TextEncoder().encode(`${prev}\n${await inputKey(input)}`));
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
  options: {
    /** One key per input layer (see layerCacheKeys); the image's last `keys.length` layers are those layers. */
    keys: readonly Digest[];
    signal?: AbortSignal;
    progress?: ExportProgress;
    cwd?: string;
  },
): Promise<Record<string, string>[]> {
  const { CacheChains, annotationUncompressed, exportCache, openLocalCacheTarget, parseCacheExportOptions } =
    await import('@lading/remote-cache');
  const image = singleImage(source);
  const chains = new CacheChains();
  const { keys } = options;
  const baseCount = image.layers.length - keys.length;
  // BuildKit reads a layer's diff ID from this annotation on its descriptor.
  const described = image.layers.map((l) => ({
    ...l.descriptor,
    annotations: { ...l.descriptor.annotations, [annotationUncompressed]: l.diffId },
  }));
  let prev: ReturnType<typeof chains.add> | undefined;
  for (const [i, key] of keys.entries()) {
    const rec = chains.add(key);
    if (prev) chains.link(prev, rec, { input: 0 });
    chains.addResult(
      rec,
      { descriptors: described.slice(0, baseCount + i + 1), provider: source.provider },
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

/** An imported --cache-from cache and where its layer blobs come from. */
export interface LayerCacheSource {
  readonly name: string;
  readonly cache: ImportedCache;
  /** Copies one of the cache's blobs into `store` (no-op when it is there already). */
  fetch(desc: Descriptor, store: FullStore, signal?: AbortSignal): Promise<void>;
  close(): void;
}

async function importRegistryCache(spec: CacheSpec, signal?: AbortSignal): Promise<LayerCacheSource> {
  const { RegistryClient, getManifest, fetchBlob, pullBlob } = await import('@lading/push');
  const { parseNormalizedReference } = await import('@lading/reference-store/reference');
  const { cacheConfigMediaType, importCacheConfig, parseCacheConfig } = await import('@lading/remote-cache');
  const ref = parseNormalizedReference(spec.attrs.ref as string);
  const insecure = spec.attrs['registry.insecure'] === 'true';
  const client = new RegistryClient(ref.registry, insecure ? { insecure: true } : {});
  const repo = ref.repository;
  const so = signal ? { signal } : {};
  try {
    const root = await getManifest(client, repo, ref.digest ?? ref.tag ?? 'latest', so);
    const doc = JSON.parse(new TextDecoder().decode(root.bytes)) as {
      manifests?: Descriptor[];
      config?: Descriptor;
      layers?: Descriptor[];
    };
    const all = [...(doc.manifests ?? []), ...(doc.config ? [doc.config] : []), ...(doc.layers ?? [])];
    const configDesc = all.find((d) => d.mediaType === cacheConfigMediaType);
    if (!configDesc) {
      throw new OptionError(
        'CACHE_NOT_BUILDKIT',
        `--cache-from ${spec.attrs.ref}: ${root.descriptor.digest} has no ${cacheConfigMediaType} config; it is not a BuildKit cache`,
        { key: 'ref' },
      );
    }
    const chunks: Uint8Array[] = [];
    for await (const c of fetchBlob(client, repo, configDesc, so)) chunks.push(c);
    const cache = importCacheConfig(
      parseCacheConfig(Buffer.concat(chunks)),
      new Map(all.filter((d) => d !== configDesc).map((d) => [d.digest, d])),
    );
    return {
      name: `registry ${spec.attrs.ref}`,
      cache,
      async fetch(desc, store, sig) {
        await pullBlob(client, repo, desc, store, sig ? { signal: sig } : {});
      },
      close: () => client.close(),
    };
  } catch (error) {
    client.close();
    throw error;
  }
}

/** Imports each --cache-from cache (`type=local,src=DIR` or `type=registry,ref=REF`), checking it reads. */
export async function importLayerCaches(
  specs: readonly string[],
  options: { cwd?: string; signal?: AbortSignal } = {},
): Promise<LayerCacheSource[]> {
  const { importLocalCache } = await import('@lading/remote-cache');
  const { copyBlob } = await import('@lading/content-store');
  const out: LayerCacheSource[] = [];
  try {
    for (const spec of checkCacheSpecs([], specs).from) {
      if (spec.type === 'local') {
        const src = resolve(options.cwd ?? process.cwd(), spec.attrs.src as string);
        const cache = await importLocalCache(src, {
          tag: spec.attrs.tag ?? 'latest',
          ...(spec.attrs.digest ? { digest: spec.attrs.digest } : {}),
        });
        const provider = cache.provider as Provider;
        out.push({
          name: `local ${src}`,
          cache,
          async fetch(desc, store, signal) {
            try {
              await store.info(desc.digest);
            } catch {
              await copyBlob(provider, store, desc, signal ? { signal } : {});
            }
          },
          close() {},
        });
      } else {
        out.push(await importRegistryCache(spec, options.signal));
      }
    }
  } catch (error) {
    for (const c of out) c.close();
    throw error;
  }
  return out;
}

/** The diff ID a cache records for a layer blob: on its descriptor, or in the cache config's layer annotations. */
function cachedDiffId(cache: ImportedCache, desc: Descriptor): Digest | undefined {
  const onDesc = desc.annotations?.['containerd.io/uncompressed'];
  const inConfig = cache.config.layers.find((l) => l.blob === desc.digest)?.annotations?.diffID;
  const d = onDesc ?? inConfig;
  if (d === undefined) return undefined;
  try {
    return parseDigest(d);
  } catch {
    return undefined;
  }
}

/**
 * The layer a --cache-from cache holds for the input whose key is `keys[0]` (its chain keys above it follow), copied
 * into `store`, or undefined. A result of a later key holds this layer too (keys chain over the inputs below), which
 * is how a `mode=min` cache, whose only result is the top record's, still serves every layer. The layer must sit at
 * `depth` (1-based) in a chain of the expected length, in the compression asked for, with a known diff ID.
 */
export async function reuseCachedLayer(
  sources: readonly LayerCacheSource[],
  keys: readonly Digest[],
  want: { depth: number; compression: Compression },
  store: FullStore,
  signal?: AbortSignal,
): Promise<{ layer: ExportLayer; from: string } | undefined> {
  for (let k = keys.length - 1; k >= 0; k--) {
    for (const src of sources) {
      for (const found of src.cache.findResults(keys[k] as Digest)) {
        if (found.layers.length !== want.depth + k) continue;
        const desc = found.layers[want.depth - 1] as Descriptor;
        if ((layerCompression(desc.mediaType) ?? 'gzip') !== want.compression) continue;
        const diffId = cachedDiffId(src.cache, desc);
        if (diffId === undefined) continue;
        await src.fetch(desc, store, signal);
        const { annotations: _dropped, ...descriptor } = desc;
        return {
          layer: { descriptor: descriptor as ExportLayer['descriptor'], diffId, uncompressedSize: -1 },
          from: src.name,
        };
      }
    }
  }
  return undefined;
}
