import {
  type Descriptor,
  type Digest,
  digestAlgorithm,
  digestEncoded,
  digestOf,
  IntegrityError,
} from '@lading/digest';
import { encodeTarHeader } from '@lading/layer';

/** A layer of an image to load: its blob as stored (plain tar or gzip; zstd only for Docker 23+) and diffID. */
export interface EngineLayer {
  readonly diffId: Digest;
  readonly descriptor: Descriptor;
  /** The blob's bytes; called again when a load is retried, so it must reopen from the start. */
  open(options: { signal?: AbortSignal }): AsyncIterable<Uint8Array>;
}

export interface DockerArchiveInput {
  readonly config: Uint8Array;
  readonly layers: readonly EngineLayer[];
  /** `manifest.json`'s RepoTags (familiar `name:tag`), which the daemon's loader tags with force. */
  readonly repoTags?: readonly string[];
  /**
   * Positions (0-based) whose chain the daemon already holds: each is an empty file, which moby's loader never
   * opens (`image/tarexport/load.go` looks the chain ID up in its layer store first). A placeholder at a position
   * whose chain the daemon lacks is refused by the loader with "invalid diffID".
   */
  readonly placeholders?: ReadonlySet<number>;
  /**
   * Positions whose bytes are in the archive already, at the path given (a layer streamed while it was built, see
   * `LoadStream`): listed in `manifest.json`, not written again.
   */
  readonly prewritten?: ReadonlyMap<number, string>;
}

export interface DockerArchiveOptions {
  readonly signal?: AbortSignal;
  /** Layer bytes written so far, of `total` to write (placeholders count nothing). */
  readonly onBytes?: (written: number, total: number) => void;
}

const zeroBlock = new Uint8Array(512);
const enc = new TextEncoder();

/** The header of an archive entry: owned by root, dated 0, as `docker save` does not care. */
export function archiveHeader(name: string, size: number, type: 'file' | 'directory' = 'file'): Uint8Array {
  return encodeTarHeader({
    name,
    type,
    mode: type === 'directory' ? 0o755 : 0o644,
    uid: 0,
    gid: 0,
    size,
    mtime: 0,
  });
}

/** The zero bytes after an entry of `size` bytes, or undefined when it ends on a block. */
export function archivePadding(size: number): Uint8Array | undefined {
  const pad = (512 - (size % 512)) % 512;
  return pad === 0 ? undefined : zeroBlock.subarray(0, pad);
}

const blobPath = (d: Digest) => `blobs/${digestAlgorithm(d)}/${digestEncoded(d)}`;

/** What the archive holds and where: one file per distinct blob sent, one empty file per placeholder. */
export function planDockerArchive(input: DockerArchiveInput): {
  readonly manifest: Uint8Array;
  readonly configPath: string;
  readonly files: readonly { readonly path: string; readonly layer: EngineLayer | undefined }[];
  readonly total: number;
} {
  const configPath = blobPath(digestOf(input.config));
  const files: { path: string; layer: EngineLayer | undefined }[] = [];
  const seen = new Set<string>();
  const paths: string[] = [];
  let total = 0;
  let chain: Digest | undefined;
  input.layers.forEach((layer, i) => {
    chain = chain === undefined ? layer.diffId : digestOf(`${chain} ${layer.diffId}`);
    const prewritten = input.prewritten?.get(i);
    if (prewritten !== undefined) {
      paths.push(prewritten);
      seen.add(prewritten);
      return;
    }
    const placeholder = input.placeholders?.has(i) === true;
    // A placeholder is named by the chain it stands for, never by a digest its (empty) bytes do not have.
    const path = placeholder ? `present/${digestEncoded(chain)}` : blobPath(layer.descriptor.digest);
    paths.push(path);
    if (seen.has(path)) return;
    seen.add(path);
    files.push({ path, layer: placeholder ? undefined : layer });
    if (!placeholder) total += layer.descriptor.size;
  });
  const manifest = enc.encode(
    JSON.stringify([{ Config: configPath, RepoTags: input.repoTags ?? [], Layers: paths }]),
  );
  return { manifest, configPath, files, total };
}

/**
 * A docker-archive (`docker save`'s `manifest.json` layout) as a stream, for `POST /images/load`: each layer's blob
 * read from its source as the tar is written, so nothing is staged and memory stays flat. A blob whose length is
 * not its descriptor's size is an IntegrityError (the tar would be corrupt); its digest is the daemon's to check
 * (it computes every diffID it registers).
 */
export async function* dockerArchiveStream(
  input: DockerArchiveInput,
  options: DockerArchiveOptions = {},
): AsyncGenerator<Uint8Array> {
  const { signal } = options;
  const plan = planDockerArchive(input);
  const dirs = new Set<string>();
  const directory = function* (path: string) {
    const parts = path.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const dir = `${parts.slice(0, i).join('/')}/`;
      if (dirs.has(dir)) continue;
      dirs.add(dir);
      yield archiveHeader(dir, 0, 'directory');
    }
  };
  let written = 0;
  for (const { path, layer } of plan.files) {
    signal?.throwIfAborted();
    yield* directory(path);
    if (layer === undefined) {
      yield archiveHeader(path, 0);
      continue;
    }
    const size = layer.descriptor.size;
    yield archiveHeader(path, size);
    let sent = 0;
    for await (const chunk of layer.open(signal ? { signal } : {})) {
      if (sent + chunk.byteLength > size) {
        throw new IntegrityError(
          'LAYER_SIZE_MISMATCH',
          `layer ${layer.descriptor.digest}: more than the ${size} bytes its descriptor says`,
          { expected: String(size) },
        );
      }
      sent += chunk.byteLength;
      written += chunk.byteLength;
      yield chunk;
      options.onBytes?.(written, plan.total);
    }
    if (sent !== size) {
      throw new IntegrityError(
        'LAYER_SIZE_MISMATCH',
        `layer ${layer.descriptor.digest}: ${sent} bytes, its descriptor says ${size}`,
        { expected: String(size), actual: String(sent) },
      );
    }
    const pad = archivePadding(size);
    if (pad) yield pad;
  }
  yield* directory(plan.configPath);
  yield archiveHeader(plan.configPath, input.config.byteLength);
  yield input.config;
  const configPad = archivePadding(input.config.byteLength);
  if (configPad) yield configPad;
  yield archiveHeader('manifest.json', plan.manifest.byteLength);
  yield plan.manifest;
  const manifestPad = archivePadding(plan.manifest.byteLength);
  if (manifestPad) yield manifestPad;
  yield new Uint8Array(1024);
}
