import { createReadStream } from 'node:fs';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createMemoryStore,
  overlayProvider,
  type Provider,
  type Store,
  StoreSink,
  writeBlob,
} from '@lading/content-store';
import {
  type Descriptor,
  type Digest,
  digestEncoded,
  digestOf,
  hashStream,
  InvalidInputError,
  MediaType,
  NotFoundError,
  parseJson,
} from '@lading/digest';
import { detectCompression } from '@lading/layer';
import { copyGraph, decodeAny, encodeManifest } from '@lading/manifest';
import {
  formatReference,
  parseNormalizedReference,
  pickLayoutEntry,
  unsupportedLayoutTypes,
  withDefaultTag,
} from '@lading/reference-store/reference';
import { extractArchive } from './archive-extract.js';
import { fileProvider } from './file-provider.js';
import { type PrepareOptions, prepareImage } from './prepare.js';
import { blobLine } from './progress-lines.js';

function readJsonFile(text: string, what: string): unknown {
  return parseJson(text, { what, code: 'TRANSPORT_BAD_JSON' });
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    throw new NotFoundError('IMAGE_NOT_FOUND', `${what}: ${(cause as Error).message}`, { cause });
  }
}

/** The image an OCI layout's index.json names: by ref name, or the only entry (containers/image's rules). */
export async function findInLayout(dir: string, ref: string | undefined, shown: string): Promise<Descriptor> {
  const index = readJsonFile(
    await readText(join(dir, 'index.json'), `${shown}: no OCI layout`),
    `${dir}/index.json`,
  ) as {
    manifests?: Descriptor[];
  };
  const manifests = Array.isArray(index.manifests) ? index.manifests : [];
  const pick = pickLayoutEntry(manifests, ref);
  if ('entry' in pick) return pick.entry;
  if ('several' in pick) {
    throw new NotFoundError(
      'IMAGE_AMBIGUOUS',
      `${shown}: more than one image in oci, choose an image (oci:DIR:REF)`,
    );
  }
  if ('unsupported' in pick) {
    throw new InvalidInputError(
      'IMAGE_UNSUPPORTED_TYPE',
      `${shown}: ${unsupportedLayoutTypes(ref ?? '', pick.unsupported)}`,
    );
  }
  throw new NotFoundError(
    'IMAGE_NOT_FOUND',
    ref === undefined || ref === ''
      ? `${shown}: no image in the layout`
      : `${shown}: no descriptor found for reference "${ref}"`,
  );
}

/**
 * Copies an image (the root, or for a list without `all` the one platform's manifest) from a provider into a store,
 * every blob verified against its digest on the way in. Returns what was stored as the image.
 */
export async function importImage(
  provider: Provider,
  root: Descriptor,
  into: Store,
  options: Pick<PrepareOptions, 'all' | 'platform' | 'signal' | 'onProgress'>,
): Promise<Descriptor> {
  options.onProgress?.('Getting image source signatures');
  const prepared = await prepareImage(provider, root, options);
  try {
    await copyGraph(prepared.provider, new StoreSink(into), prepared.root, {
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress: ({ descriptor, result }) => {
        const line = blobLine(descriptor, prepared.root, result);
        if (line) options.onProgress?.(line);
      },
    });
    options.onProgress?.('Writing manifest to image destination');
    return prepared.root;
  } finally {
    await prepared.close();
  }
}

/** A `dir:` image: manifest.json is the root; blobs are named by hex digest; list instances `<hex>.manifest.json`. */
export async function readDirImage(dir: string): Promise<{ provider: Provider; root: Descriptor }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(join(dir, 'manifest.json'));
  } catch (cause) {
    throw new NotFoundError('IMAGE_NOT_FOUND', `dir:${dir}: no manifest.json`, { cause });
  }
  const rootDigest = digestOf(bytes);
  const decoded = decodeAny(bytes);
  const root: Descriptor = {
    mediaType: decoded.descriptor.mediaType,
    digest: rootDigest,
    size: bytes.byteLength,
  };
  const provider = fileProvider((d: Digest) =>
    d === rootDigest
      ? [join(dir, 'manifest.json')]
      : [join(dir, digestEncoded(d)), join(dir, `${digestEncoded(d)}.manifest.json`)],
  );
  return { provider, root };
}

interface DockerArchiveItem {
  Config?: unknown;
  RepoTags?: unknown;
  Layers?: unknown;
}

function sameName(a: string, b: string): boolean {
  try {
    return (
      formatReference(withDefaultTag(parseNormalizedReference(a))) ===
      formatReference(withDefaultTag(parseNormalizedReference(b)))
    );
  } catch {
    return a === b;
  }
}

/**
 * A docker-archive (docker save) image as a Docker schema2 manifest, the way containers/image presents it: the
 * config as stored, each layer file hashed as it is (uncompressed layers keep digest == diffID).
 */
// Unlike containers/image, which labels every layer here .tar.gzip whatever its bytes, the media type says the
// compression the layer really has, so a later push or unpack never mislabels a plain tar.
export async function readDockerArchiveImage(
  root: string,
  ref: string | undefined,
  shown: string,
): Promise<{ provider: Provider; root: Descriptor }> {
  const items = readJsonFile(
    await readText(join(root, 'manifest.json'), `${shown}: not a docker archive`),
    `${shown}: manifest.json`,
  );
  if (!Array.isArray(items))
    throw new InvalidInputError('TRANSPORT_BAD_JSON', `${shown}: manifest.json is not a list`);
  let item: DockerArchiveItem | undefined;
  if (ref === undefined) {
    if (items.length !== 1) {
      throw new NotFoundError(
        'IMAGE_AMBIGUOUS',
        `${shown}: the archive holds ${items.length} images; name one as docker-archive:FILE:NAME:TAG`,
      );
    }
    item = items[0] as DockerArchiveItem;
  } else if (/^@\d+$/.test(ref)) {
    item = items[Number(ref.slice(1))] as DockerArchiveItem | undefined;
    if (item === undefined) {
      throw new NotFoundError(
        'IMAGE_NOT_FOUND',
        `${shown}: the archive holds ${items.length} images, there is no ${ref}`,
      );
    }
  } else {
    item = (items as DockerArchiveItem[]).find(
      (i) => Array.isArray(i.RepoTags) && i.RepoTags.some((t) => typeof t === 'string' && sameName(t, ref)),
    );
    if (item === undefined)
      throw new NotFoundError('IMAGE_NOT_FOUND', `${shown}: no image tagged ${ref} in the archive`);
  }
  if (
    typeof item.Config !== 'string' ||
    !Array.isArray(item.Layers) ||
    item.Layers.some((l) => typeof l !== 'string')
  ) {
    throw new InvalidInputError('TRANSPORT_BAD_JSON', `${shown}: manifest.json entry lacks Config or Layers`);
  }
  const files = new Map<string, string>();
  // manifest.json is the archive's: a member it names must be inside the unpacked archive.
  const pathOf = (name: string) => {
    const parts = name.split('/');
    if (name.startsWith('/') || parts.includes('..') || parts.every((p) => p === '' || p === '.')) {
      throw new InvalidInputError(
        'ARCHIVE_UNSAFE_PATH',
        `${shown}: manifest.json names ${JSON.stringify(name)}, which is not a member of the archive`,
      );
    }
    return join(root, name);
  };
  const configPath = pathOf(item.Config);
  const configBytes = await readFile(configPath).catch((cause: unknown) => {
    throw new NotFoundError('IMAGE_NOT_FOUND', `${shown}: config ${item.Config as string} missing`, {
      cause,
    });
  });
  const configDigest = digestOf(configBytes);
  files.set(configDigest, configPath);
  const layers: Descriptor[] = [];
  for (const name of item.Layers as string[]) {
    const path = pathOf(name);
    const { digest, size } = await hashStream(createReadStream(path, { highWaterMark: 1 << 20 })).catch(
      (cause: unknown) => {
        throw new NotFoundError('IMAGE_NOT_FOUND', `${shown}: layer ${name} missing`, { cause });
      },
    );
    const compression = detectCompression(await readHead(path));
    files.set(digest, path);
    layers.push({
      mediaType:
        compression === 'gzip'
          ? MediaType.dockerLayerGzip
          : compression === 'zstd'
            ? MediaType.dockerLayerZstd
            : MediaType.dockerLayer,
      digest,
      size,
    });
  }
  const encoded = encodeManifest({
    schemaVersion: 2,
    mediaType: MediaType.dockerManifest,
    config: { mediaType: MediaType.dockerConfig, digest: configDigest, size: configBytes.byteLength },
    layers,
  });
  const files_ = fileProvider((d) => {
    const p = files.get(d);
    return p === undefined ? [] : [p];
  });
  // The manifest exists only here: serve it from memory over the archive's files.
  const mem = createMemoryStore();
  await writeBlob(mem, encoded.bytes, { mediaType: MediaType.dockerManifest });
  return { provider: overlayProvider(mem, files_), root: encoded.descriptor };
}

async function readHead(path: string): Promise<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const buf = new Uint8Array(4);
    const { bytesRead } = await fh.read(buf, 0, 4, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** A temp directory for unpacking an archive, removed afterwards whatever happens. */
export async function withExtracted<T>(
  file: string,
  signal: AbortSignal | undefined,
  fn: (dir: string) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'lading-archive-'));
  try {
    await extractArchive(file, dir, signal);
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
