import { randomUUID } from 'node:crypto';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Provider, readBlob, type Store, writeBlob } from '@lading/content-store';
import {
  type Descriptor,
  type Digest,
  IntegrityError,
  InvalidInputError,
  isLadingError,
  isNotFoundError,
  layerCompression,
  MediaType,
  maxConfigBytes,
  NotFoundError,
} from '@lading/digest';
import type { EngineClient } from '@lading/docker-engine';
import { detectCompression } from '@lading/layer';
import { decodeManifest, encodeManifest, maxManifestBytes } from '@lading/manifest';
import { familiarString, parseNormalizedReference } from '@lading/reference-store/reference';
import { extract } from 'tar-stream';
import { prepareImage } from './prepare.js';
import { formatImageReference, type ImageReference } from './reference.js';
import { type FileWriteOptions, requireSingleImage } from './write-image.js';

type DaemonReference = Extract<ImageReference, { transport: 'docker-daemon' }>;

/** docker save's small metadata files are read into memory, never into the store. */
const maxMetadataBytes = 8 << 20;

/** The Engine DOCKER_HOST (or the docker context, or the default socket) names, answering now. */
async function connectDaemon(signal: AbortSignal | undefined): Promise<EngineClient> {
  const { EngineError, isEngineUnreachable, openEngineClient } = await import('@lading/docker-engine');
  const engine = await openEngineClient();
  try {
    await engine.apiVersion(signal ? { signal } : {});
  } catch (error) {
    engine.close();
    if (!isEngineUnreachable(error)) throw error;
    throw new EngineError(
      'ENGINE_UNREACHABLE',
      `docker-daemon: ${error.message}; start Docker or set DOCKER_HOST`,
      {
        ...(error.address !== undefined ? { address: error.address } : {}),
        cause: error,
      },
    );
  }
  return engine;
}

function parseConfig(bytes: Uint8Array, digest: string): { os?: unknown; rootfs?: { diff_ids?: unknown } } {
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as { os?: unknown; rootfs?: { diff_ids?: unknown } };
  } catch (cause) {
    throw new InvalidInputError('CONFIG_INVALID', `config ${digest} is not JSON`, { cause });
  }
}

/**
 * `docker-daemon:NAME:TAG` as a destination (buildah push, commit): the image loaded into the Docker Engine over its
 * API and tagged NAME:TAG, sending only the layers the Engine lacks. As containers/image: the destination must be
 * a name:tag, and the image's OS must be the daemon's.
 */
export async function writeDockerDaemon(
  dest: DaemonReference,
  provider: Provider,
  root: Descriptor,
  options: FileWriteOptions,
): Promise<void> {
  const shown = formatImageReference(dest);
  const name = 'ref' in dest ? parseNormalizedReference(dest.ref) : undefined;
  if (name?.tag === undefined || name.digest !== undefined) {
    throw new InvalidInputError(
      'TRANSPORT_DEST_NOT_TAGGED',
      `Invalid destination ${shown}: a destination must be a name:tag`,
    );
  }
  requireSingleImage(root, shown);
  const signal = options.signal;
  const sig = signal ? { signal } : {};
  let manifest = decodeManifest(await readBlob(provider, root, { maxBytes: maxManifestBytes, ...sig }), {
    expected: root,
  }).value;
  // Docker before 23 reads plain and gzip layers only; zstd ones are recompressed on the way.
  let prepared: Awaited<ReturnType<typeof prepareImage>> | undefined;
  let source = provider;
  if (manifest.layers.some((l) => layerCompression(l.mediaType) === 'zstd')) {
    prepared = await prepareImage(provider, root, {
      compression: 'gzip',
      ...sig,
      onProgress: options.onProgress,
    });
    source = prepared.provider;
    manifest = decodeManifest(await readBlob(source, prepared.root, { maxBytes: maxManifestBytes, ...sig }), {
      expected: prepared.root,
    }).value;
  }
  try {
    const configBytes = await readBlob(source, manifest.config, { maxBytes: maxConfigBytes, ...sig });
    const config = parseConfig(configBytes, manifest.config.digest);
    const diffIds = Array.isArray(config.rootfs?.diff_ids) ? (config.rootfs.diff_ids as Digest[]) : [];
    const engine = await connectDaemon(signal);
    try {
      const daemonOs = (await engine.version(sig)).Os;
      if (typeof config.os === 'string' && daemonOs && config.os !== daemonOs) {
        throw new InvalidInputError(
          'TRANSPORT_OS_MISMATCH',
          `${shown}: Image operating system mismatch: image uses ${JSON.stringify(config.os)}, expecting ${JSON.stringify(daemonOs)}`,
        );
      }
      for (const l of manifest.layers) options.onProgress?.(`Copying blob ${l.digest}`);
      options.onProgress?.(`Copying config ${manifest.config.digest}`);
      const { loadImage } = await import('@lading/docker-engine');
      await loadImage(
        engine,
        {
          config: configBytes,
          layers: manifest.layers.map((l, i) => ({
            diffId: diffIds[i] as Digest,
            descriptor: l,
            open: (o) => source.read(l, o),
          })),
          names: [name],
        },
        sig,
      );
      options.onProgress?.('Writing manifest to image destination');
    } finally {
      engine.close();
    }
  } finally {
    await prepared?.close();
  }
}

interface SavedFile {
  readonly digest: Digest;
  readonly size: number;
  readonly head: Uint8Array;
}

interface ArchiveItem {
  readonly Config?: unknown;
  readonly RepoTags?: unknown;
  readonly Layers?: unknown;
}

/** A member's path as docker save names it, `./` and duplicate slashes dropped; undefined when it leaves the archive. */
function memberPath(name: string): string | undefined {
  const clean = posix.normalize(name.replace(/^\.\/+/, ''));
  if (clean.startsWith('..') || posix.isAbsolute(clean)) return undefined;
  return clean.replace(/\/$/, '');
}

function isMetadata(path: string): boolean {
  return (
    path === 'manifest.json' ||
    path === 'repositories' ||
    path === 'index.json' ||
    path === 'oci-layout' ||
    /(^|\/)(json|VERSION)$/.test(path)
  );
}

/**
 * Reads `docker save`'s stream of one image: blobs go straight into `into` (hashed as written, committed whole),
 * metadata stays in memory; links resolve inside the archive. Returns what manifest.json needs.
 */
async function storeSavedArchive(
  stream: Readable,
  into: Store,
  shown: string,
  signal: AbortSignal | undefined,
): Promise<{ files: Map<string, SavedFile>; metadata: Map<string, Uint8Array>; links: Map<string, string> }> {
  const files = new Map<string, SavedFile>();
  const metadata = new Map<string, Uint8Array>();
  const links = new Map<string, string>();
  const ex = extract();
  const entries = (async () => {
    for await (const entry of ex) {
      signal?.throwIfAborted();
      const { name: raw, type, linkname } = entry.header;
      const path = memberPath(raw);
      if (path === undefined) {
        throw new InvalidInputError(
          'ARCHIVE_UNSAFE_PATH',
          `${shown}: entry ${JSON.stringify(raw)} points outside the archive`,
        );
      }
      if ((type === 'symlink' || type === 'link') && linkname) {
        const target = memberPath(type === 'link' ? linkname : posix.join(posix.dirname(path), linkname));
        if (target !== undefined) links.set(path, target);
        entry.resume();
        continue;
      }
      if (type !== 'file' && type !== 'contiguous-file') {
        entry.resume();
        continue;
      }
      if (isMetadata(path)) {
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const c of entry as AsyncIterable<Buffer>) {
          size += c.byteLength;
          if (size > maxMetadataBytes) {
            throw new InvalidInputError(
              'ARCHIVE_METADATA_TOO_LARGE',
              `${shown}: ${path} is larger than 8 MiB`,
            );
          }
          chunks.push(c);
        }
        metadata.set(path, Buffer.concat(chunks));
        continue;
      }
      const writer = await into.writer({
        ref: `docker-daemon-${randomUUID()}`,
        ...(signal ? { signal } : {}),
      });
      let head = new Uint8Array(0);
      try {
        for await (const c of entry as AsyncIterable<Buffer>) {
          if (head.byteLength < 8) head = Buffer.concat([head, c.subarray(0, 8 - head.byteLength)]);
          await writer.write(c);
        }
        const done = await writer.commit();
        files.set(path, { digest: done.digest, size: done.size, head });
      } catch (error) {
        await writer.abort().catch(() => {});
        throw error;
      }
    }
  })();
  try {
    await Promise.all([pipeline(stream, ex, signal ? { signal } : {}), entries]);
  } catch (error) {
    stream.destroy();
    ex.destroy();
    if (isLadingError(error) || (error as Error).name === 'AbortError') throw error;
    throw new InvalidInputError(
      'ARCHIVE_INVALID',
      `${shown}: the daemon's archive is not a readable tar: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  return { files, metadata, links };
}

function pickItem(metadata: Map<string, Uint8Array>, shown: string): ArchiveItem {
  const raw = metadata.get('manifest.json');
  if (raw === undefined)
    throw new InvalidInputError('TRANSPORT_BAD_JSON', `${shown}: the daemon's archive has no manifest.json`);
  let items: unknown;
  try {
    items = JSON.parse(new TextDecoder().decode(raw));
  } catch (cause) {
    throw new InvalidInputError('TRANSPORT_BAD_JSON', `${shown}: manifest.json is not valid JSON`, { cause });
  }
  if (!Array.isArray(items) || items.length !== 1) {
    throw new InvalidInputError(
      'TRANSPORT_BAD_JSON',
      `${shown}: the daemon sent ${Array.isArray(items) ? items.length : 'no list of'} images, expected one`,
    );
  }
  const item = items[0] as ArchiveItem;
  if (
    typeof item.Config !== 'string' ||
    !Array.isArray(item.Layers) ||
    item.Layers.some((l) => typeof l !== 'string')
  ) {
    throw new InvalidInputError('TRANSPORT_BAD_JSON', `${shown}: manifest.json entry lacks Config or Layers`);
  }
  return item;
}

function layerMediaTypeOf(head: Uint8Array): string {
  const c = detectCompression(head);
  return c === 'gzip'
    ? MediaType.dockerLayerGzip
    : c === 'zstd'
      ? MediaType.dockerLayerZstd
      : MediaType.dockerLayer;
}

/**
 * `docker-daemon:NAME:TAG` (or `:sha256:<ID>`) as a source (buildah from, pull): `GET /images/{name}/get` streamed
 * into the store, blob by blob, no temporary copy; a Docker schema2 manifest is made over the config and layers
 * as containers/image presents a daemon image. Uncompressed layers are checked against the config's diffIDs, and
 * an image asked for by ID against its config digest. Returns the stored manifest.
 */
export async function readDockerDaemon(
  src: DaemonReference,
  into: Store,
  options: FileWriteOptions,
): Promise<Descriptor> {
  const shown = formatImageReference(src);
  const signal = options.signal;
  const sig = signal ? { signal } : {};
  const engine = await connectDaemon(signal);
  let saved: Awaited<ReturnType<typeof storeSavedArchive>>;
  try {
    const name = 'id' in src ? src.id : familiarString(parseNormalizedReference(src.ref));
    const stream = await engine.saveImage(name, sig).catch((error: unknown) => {
      if (isNotFoundError(error)) {
        throw new NotFoundError('IMAGE_NOT_FOUND', `${shown}: ${(error as Error).message}`, { cause: error });
      }
      throw error;
    });
    saved = await storeSavedArchive(stream, into, shown, signal);
  } finally {
    engine.close();
  }
  const { files, metadata, links } = saved;
  const item = pickItem(metadata, shown);
  const lookup = (path: string): SavedFile => {
    let p = memberPath(path) ?? path;
    for (let hops = 0; links.has(p) && hops < 16; hops++) p = links.get(p) as string;
    const f = files.get(p);
    if (f === undefined)
      throw new NotFoundError('IMAGE_NOT_FOUND', `${shown}: ${path} is missing from the daemon's archive`);
    return f;
  };
  const configFile = lookup(item.Config as string);
  if ('id' in src && configFile.digest !== src.id) {
    throw new IntegrityError('IMAGE_ID_MISMATCH', `${shown}: the daemon sent config ${configFile.digest}`, {
      expected: src.id,
      actual: configFile.digest,
    });
  }
  const configDesc = { mediaType: MediaType.dockerConfig, digest: configFile.digest, size: configFile.size };
  const config = parseConfig(
    await readBlob(into, configDesc, { maxBytes: maxConfigBytes, ...sig }),
    configFile.digest,
  );
  const diffIds = Array.isArray(config.rootfs?.diff_ids) ? config.rootfs.diff_ids : [];
  const layers = (item.Layers as string[]).map((path, i) => {
    const f = lookup(path);
    const mediaType = layerMediaTypeOf(f.head);
    if (mediaType === MediaType.dockerLayer && diffIds[i] !== undefined && diffIds[i] !== f.digest) {
      throw new IntegrityError(
        'LAYER_DIFFID_MISMATCH',
        `${shown}: layer ${i} is ${f.digest}, its config says ${String(diffIds[i])}`,
        {
          expected: String(diffIds[i]),
          actual: f.digest,
        },
      );
    }
    return { mediaType, digest: f.digest, size: f.size };
  });
  for (const l of layers) options.onProgress?.(`Copying blob ${l.digest}`);
  options.onProgress?.(`Copying config ${configDesc.digest}`);
  const encoded = encodeManifest({
    schemaVersion: 2,
    mediaType: MediaType.dockerManifest,
    config: configDesc,
    layers,
  });
  options.onProgress?.('Writing manifest to image destination');
  return writeBlob(into, encoded.bytes, { mediaType: MediaType.dockerManifest });
}
