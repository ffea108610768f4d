import { type Provider, readBlob } from '@lading/content-store';
import {
  AnnotationRefName,
  type Descriptor,
  type Digest,
  InvalidInputError,
  isInvalidInputError,
  isNotFoundError,
  MediaType,
  NotFoundError,
  parseDigest,
  parseJsonObject,
} from '@lading/digest';
import { type DecodedAny, decodeIndex, decodeManifest } from '@lading/manifest';
import { concatCacheConfigs, type ImportedCache, importCacheConfig } from './imported-cache.js';
import { importInlineCache } from './inline-cache.js';
import { openLayoutReader } from './layout-reader.js';
import { parseCacheConfig } from './parse-cache-config.js';
import { cacheConfigMediaType, inlineCacheConfigKey } from './spec.js';

export interface ImportOptions {
  readonly signal?: AbortSignal;
}

/**
 * Reads the small JSON blobs of a cache (roots, image configs, cache configs) whole and verified against their
 * descriptor. The media type is there for readers that fetch manifests and blobs differently (a registry).
 */
export interface CacheReader {
  read(desc: Descriptor, options: ImportOptions): Promise<Uint8Array>;
}

/** A reader over any provider. */
export function providerReader(provider: Provider): CacheReader {
  return {
    read: (d, options) =>
      readBlob(
        provider,
        { digest: parseDigest(d.digest), size: d.size },
        options.signal ? { signal: options.signal } : {},
      ),
  };
}

const notCache = (root: Descriptor, what: string, cause?: unknown) =>
  new InvalidInputError(
    'BAD_CACHE_ROOT',
    `cache root ${root.digest} ${what}`,
    cause === undefined ? {} : { cause },
  );

/**
 * BuildKit's imageutil.DetectManifestBlobMediaType: the kind of a root from its fields (`config`/`layers` make a
 * manifest, anything else a list), checked against its `mediaType` when it has one. The descriptor's media type is
 * not trusted: a root named by digest alone is read for what it is.
 */
function detectRootType(root: Descriptor, obj: Record<string, unknown>): string {
  let mt: string = MediaType.dockerManifestList;
  if (obj.config !== undefined || obj.layers !== undefined) {
    mt = MediaType.dockerManifest;
    if (obj.manifests !== undefined) throw notCache(root, 'is both a manifest and an index');
  }
  if (typeof obj.mediaType === 'string') {
    const list = obj.mediaType === MediaType.ociIndex || obj.mediaType === MediaType.dockerManifestList;
    const manifest = obj.mediaType === MediaType.ociManifest || obj.mediaType === MediaType.dockerManifest;
    if ((list && mt !== MediaType.dockerManifestList) || (manifest && mt !== MediaType.dockerManifest)) {
      throw notCache(root, `says ${obj.mediaType} but its fields do not match`);
    }
    if (list || manifest) mt = obj.mediaType;
    else throw notCache(root, `has media type ${obj.mediaType}, not a manifest or index`);
  }
  return mt;
}

/** A decoded root and the media type BuildKit gives it (a root without a `mediaType` field is Docker's). */
interface Root {
  readonly mediaType: string;
  readonly decoded: DecodedAny;
}

/**
 * A root (or an image of an inline import) read whole and decoded by `@lading/manifest`, its kind chosen as BuildKit
 * chooses it. The entries of a cache's index are layers and the cache config, not manifests: `decodeIndex` takes any
 * media type there, as BuildKit's cache/remotecache/import.go does. The reader has checked digest and size.
 */
async function readRoot(reader: CacheReader, desc: Descriptor, options: ImportOptions): Promise<Root> {
  const bytes = await reader.read(desc, options);
  const mt = detectRootType(
    desc,
    parseJsonObject(bytes, { what: `cache root ${desc.digest}`, code: 'BAD_CACHE_ROOT' }),
  );
  try {
    const decoded: DecodedAny =
      mt === MediaType.ociIndex || mt === MediaType.dockerManifestList
        ? { kind: 'index', ...decodeIndex(bytes) }
        : { kind: 'manifest', ...decodeManifest(bytes) };
    return { mediaType: mt, decoded };
  } catch (cause) {
    if (isInvalidInputError(cause)) throw notCache(desc, `is not a valid ${mt}: ${cause.message}`, cause);
    throw cause;
  }
}

/** How deep an index of images may nest, and how many images an inline import reads. */
const maxDepth = 4;
const maxImages = 256;

/**
 * Imports the inline caches of an image or an index of images (every platform), as BuildKit does when a cache
 * root has no cache config. InvalidInputError `NO_BUILDKIT_CACHE` when no image carries one.
 */
async function importInlineCaches(
  reader: CacheReader,
  root: Descriptor,
  rootRead: Root,
  options: ImportOptions & { provider?: Provider },
): Promise<ImportedCache> {
  const found: ImportedCache[] = [];
  const seen = new Set<Digest>();
  let images = 0;
  const visit = async ({ decoded }: Root, depth: number): Promise<void> => {
    if (decoded.kind === 'index') {
      if (depth >= maxDepth) throw notCache(root, `nests indexes more than ${maxDepth} deep`);
      for (const child of decoded.value.manifests) {
        if (seen.has(child.digest)) continue;
        seen.add(child.digest);
        await visit(await readRoot(reader, child, options), depth + 1);
      }
      return;
    }
    if (++images > maxImages) throw notCache(root, `lists more than ${maxImages} images`);
    const { config, layers } = decoded.value;
    if (layers.length === 0) return;
    const bytes = await reader.read(config, options);
    const cache = importInlineCache(bytes, [...layers], options.provider);
    if (cache) found.push(cache);
  };
  await visit(rootRead, 0);
  if (found.length === 0) {
    throw new InvalidInputError(
      'NO_BUILDKIT_CACHE',
      `${root.digest} has no ${cacheConfigMediaType} config and no image with an inline cache (${inlineCacheConfigKey}); it holds no BuildKit cache`,
    );
  }
  if (found.length === 1) return found[0] as ImportedCache;
  const blobs = new Map<string, Descriptor>();
  for (const c of found) for (const [d, desc] of c.blobs) blobs.set(d, desc);
  return {
    ...importCacheConfig(concatCacheConfigs(found.map((c) => c.config)), blobs, options.provider),
    form: 'inline',
  };
}

/**
 * Imports a cache from its root, as BuildKit's cache/remotecache/import.go reads it: an index or manifest list whose
 * entries are the layer blobs and the cache config, an OCI image manifest whose config is the cache config, or
 * (no cache config) an image or index of images carrying inline caches.
 */
export async function importCacheWith(
  reader: CacheReader,
  root: Descriptor,
  options: ImportOptions & { readonly provider?: Provider } = {},
): Promise<ImportedCache> {
  const read = await readRoot(reader, root, options);
  const { decoded } = read;
  let configDesc: Descriptor | undefined;
  let layers: Descriptor[];
  let form: ImportedCache['form'];
  if (decoded.kind === 'manifest') {
    const { config } = decoded.value;
    if (config.mediaType === cacheConfigMediaType) configDesc = config;
    layers = [...decoded.value.layers];
    form = 'image-manifest';
  } else {
    const all = decoded.value.manifests;
    configDesc = all.find((d) => d.mediaType === cacheConfigMediaType);
    layers = all.filter((d) => d.mediaType !== cacheConfigMediaType);
    form = read.mediaType === MediaType.ociIndex ? 'oci-index' : 'manifest-list';
  }
  if (!configDesc) return importInlineCaches(reader, root, read, options);
  const config = parseCacheConfig(await reader.read(configDesc, options));
  return {
    ...importCacheConfig(config, new Map(layers.map((d) => [d.digest, d])), options.provider),
    form,
  };
}

/** {@link importCacheWith} over a provider (the layer blobs are read from it too). */
export function importCache(
  provider: Provider,
  root: Descriptor,
  options: ImportOptions = {},
): Promise<ImportedCache> {
  return importCacheWith(providerReader(provider), root, { ...options, provider });
}

export interface LocalImportOptions extends ImportOptions {
  /** Tag in index.json (default `latest`). */
  readonly tag?: string;
  /** Root digest; wins over the tag. */
  readonly digest?: Digest | string;
}

/**
 * `type=local,src=DIR[,tag=T|digest=D]`, read without writing anything into DIR. NotFoundError when DIR holds no
 * layout, no such tag, or no such blob.
 */
export async function importLocalCache(
  dir: string,
  options: LocalImportOptions = {},
): Promise<ImportedCache> {
  const { index, provider } = await openLayoutReader(dir);
  let root: Descriptor | undefined;
  if (options.digest !== undefined) {
    const digest = parseDigest(options.digest);
    root = index.manifests.find((m) => m.digest === digest);
    if (!root) {
      try {
        const info = await provider.info(digest);
        // The kind is read from the blob itself.
        root = { mediaType: MediaType.ociIndex, digest, size: info.size };
      } catch (cause) {
        if (isNotFoundError(cause)) {
          throw new NotFoundError('CACHE_NOT_FOUND', `no cache root ${digest} in ${dir}`, { cause });
        }
        throw cause;
      }
    }
  } else {
    const tag = options.tag ?? 'latest';
    root = index.manifests.find((m) => m.annotations?.[AnnotationRefName] === tag);
    if (!root)
      throw new NotFoundError('CACHE_TAG_NOT_FOUND', `no cache tagged "${tag}" in ${dir}/index.json`);
  }
  return importCache(provider, root, options);
}
