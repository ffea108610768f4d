import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { openLocalStore, type Provider, readBlob } from '@lading/content-store';
import {
  AnnotationRefName,
  type Descriptor,
  digestEncoded,
  InvalidInputError,
  isForeignLayer,
  isIndexMediaType,
  isManifestMediaType,
  MediaType,
  OptionError,
  verifyStream,
} from '@lading/digest';
import { ArchiveWriter } from '@lading/layer';
import { copyGraph, maxManifestBytes, walk } from '@lading/manifest';
import { blobLine } from './progress-lines.js';

/** containers/image's `dir:` version file: a directory holding it is ours to overwrite. */
export const dirTransportVersion = 'Directory Transport Version: 1.1\n';

/** Every blob of an image graph once, children before parents (foreign layers stay remote). */
export async function graphBlobs(
  provider: Provider,
  root: Descriptor,
  signal?: AbortSignal,
): Promise<Descriptor[]> {
  const graph = await walk(provider, root, (_d, c) => c.children(), signal ? { signal } : {});
  const out: Descriptor[] = [];
  const seen = new Set<string>();
  const visit = (d: Descriptor) => {
    if (seen.has(d.digest) || isForeignLayer(d)) return;
    seen.add(d.digest);
    for (const c of graph.get(d.digest)?.children ?? []) visit(c);
    out.push(d);
  };
  visit(root);
  return out;
}

/** A blob's bytes, checked against its digest and size as they pass (an `IntegrityError` at the end otherwise). */
export async function* verifiedRead(
  provider: Provider,
  d: Descriptor,
  signal: AbortSignal | undefined,
): AsyncGenerator<Uint8Array> {
  yield* verifyStream(provider.read(d, signal ? { signal } : {}), { digest: d.digest, size: d.size });
}

function isJsonNode(d: Descriptor): boolean {
  return isManifestMediaType(d.mediaType) || isIndexMediaType(d.mediaType);
}

async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

export interface FileWriteOptions {
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ((message: string) => void) | undefined;
}

/**
 * `oci:DIR[:REF]`: blobs into the layout (each verified, children before the manifest that names them), then
 * index.json: an entry with the same ref name is replaced; without a name, an unnamed entry of the same digest is.
 * A layout this call created is removed again when the write fails.
 */
export async function writeOciLayout(
  dir: string,
  ref: string | undefined,
  provider: Provider,
  root: Descriptor,
  options: FileWriteOptions,
): Promise<void> {
  const existed = await pathExists(dir);
  try {
    const layout = await openLocalStore(dir);
    await copyGraph(provider, layout, root, {
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress: ({ descriptor }) => {
        const line = blobLine(descriptor, root);
        if (line) options.onProgress?.(line);
      },
    });
    options.onProgress?.('Writing manifest to image destination');
    const entry: Descriptor = {
      mediaType: root.mediaType,
      digest: root.digest,
      size: root.size,
      ...(ref !== undefined ? { annotations: { [AnnotationRefName]: ref } } : {}),
    };
    await layout.updateIndex((index) => {
      let manifests = [...index.manifests];
      if (ref !== undefined) manifests = manifests.filter((m) => m.annotations?.[AnnotationRefName] !== ref);
      const same = manifests.findIndex(
        (m) => m.digest === entry.digest && (m.annotations?.[AnnotationRefName] ?? '') === '',
      );
      if (same >= 0) manifests[same] = entry;
      else manifests.push(entry);
      return { ...index, manifests };
    });
  } catch (error) {
    if (!existed) await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** A temp name beside `target` (same filesystem, so the final rename is atomic). */
function siblingTemp(target: string): string {
  return join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** Writes a file through a temp sibling; the target appears complete or not at all. */
export async function writeArchiveAtomically(
  file: string,
  fill: (tar: ArchiveWriter) => Promise<void>,
  options: { fileMode?: number },
): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = siblingTemp(file);
  const fh = await open(tmp, 'wx');
  try {
    await fill(new ArchiveWriter(fh, options));
    await fh.sync();
    await fh.close();
    await rename(tmp, file);
  } catch (error) {
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    throw error;
  }
}

/** `oci-archive:FILE[:REF]`: a tar of an OCI layout holding this one image, streamed blob by blob. */
export async function writeOciArchive(
  file: string,
  ref: string | undefined,
  provider: Provider,
  root: Descriptor,
  options: FileWriteOptions,
): Promise<void> {
  const blobs = await graphBlobs(provider, root, options.signal);
  const enc = new TextEncoder();
  await writeArchiveAtomically(
    file,
    async (tar) => {
      await tar.bytes('oci-layout', enc.encode('{"imageLayoutVersion":"1.0.0"}'));
      await tar.directory('blobs');
      for (const alg of new Set(blobs.map((b) => b.digest.slice(0, b.digest.indexOf(':'))))) {
        await tar.directory(`blobs/${alg}`);
      }
      for (const d of blobs) {
        options.signal?.throwIfAborted();
        const line = blobLine(d, root);
        if (line) options.onProgress?.(line);
        const name = `blobs/${d.digest.slice(0, d.digest.indexOf(':'))}/${digestEncoded(d.digest)}`;
        await tar.file(name, d.size, verifiedRead(provider, d, options.signal));
      }
      options.onProgress?.('Writing manifest to image destination');
      const entry = {
        mediaType: root.mediaType,
        digest: root.digest,
        size: root.size,
        ...(ref !== undefined ? { annotations: { [AnnotationRefName]: ref } } : {}),
      };
      await tar.bytes(
        'index.json',
        enc.encode(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [entry] })),
      );
      await tar.end();
    },
    {},
  );
}

/**
 * `dir:DIR`: containers/image's directory format: `version`, `manifest.json` (the root's exact bytes), blobs named
 * by hex digest, and for a list each instance's manifest as `<hex>.manifest.json`. Only an empty directory or one
 * holding a `dir:` image is overwritten; the new image is made beside it and moved in once complete.
 */
export async function writeDirImage(
  dir: string,
  provider: Provider,
  root: Descriptor,
  options: FileWriteOptions,
): Promise<void> {
  let existing: string[] = [];
  if (await pathExists(dir)) {
    existing = await readdir(dir);
    if (existing.length > 0) {
      let version = '';
      try {
        version = await readFile(join(dir, 'version'), 'utf8');
      } catch {
        // no version file: not ours
      }
      if (version !== dirTransportVersion) {
        throw new InvalidInputError(
          'DIR_NOT_IMAGE',
          `${dir}: not a containers image directory, don't want to overwrite important data`,
        );
      }
    }
  }
  const blobs = await graphBlobs(provider, root, options.signal);
  const tmp = siblingTemp(dir);
  await mkdir(tmp, { recursive: true });
  try {
    await writeFile(join(tmp, 'version'), dirTransportVersion);
    for (const d of blobs) {
      options.signal?.throwIfAborted();
      const hex = digestEncoded(d.digest);
      if (d.digest === root.digest) {
        options.onProgress?.('Writing manifest to image destination');
        await writeFile(
          join(tmp, 'manifest.json'),
          await readBlob(provider, d, { maxBytes: maxManifestBytes }),
        );
        continue;
      }
      if (isJsonNode(d)) {
        await writeFile(
          join(tmp, `${hex}.manifest.json`),
          await readBlob(provider, d, { maxBytes: maxManifestBytes }),
        );
        continue;
      }
      const line = blobLine(d, root);
      if (line) options.onProgress?.(line);
      const fh = await open(join(tmp, hex), 'wx');
      try {
        let size = 0;
        for await (const chunk of verifiedRead(provider, d, options.signal)) {
          await fh.write(chunk);
          size += chunk.byteLength;
        }
        if (size !== d.size) {
          throw new InvalidInputError(
            'BLOB_SIZE_MISMATCH',
            `blob ${d.digest}: ${size} bytes, expected ${d.size}`,
          );
        }
      } finally {
        await fh.close();
      }
    }
    // Swap in: the old image's files go, the new ones move in (renames on one filesystem).
    await mkdir(dir, { recursive: true });
    for (const name of existing) await rm(join(dir, name), { recursive: true, force: true });
    for (const name of await readdir(tmp)) await rename(join(tmp, name), join(dir, name));
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** docker-archive keeps one image; a list has to be narrowed to one platform first. */
export function requireSingleImage(root: Descriptor, transport: string): void {
  if (isIndexMediaType(root.mediaType)) {
    throw new OptionError(
      'TRANSPORT_NO_LISTS',
      `${transport}: the destination holds a single image, not a list; drop --all (and pick one with --platform)`,
      { key: 'all' },
    );
  }
}
