import { type Digest, digestOf, IntegrityError, InvalidInputError } from '@lading/digest';
import { chainIds } from '@lading/reference-store';
import { familiarString, type Reference } from '@lading/reference-store/reference';
import { compareApiVersions } from './api-version.js';
import { dockerArchiveStream, type EngineLayer } from './docker-archive.js';
import type { EngineClient } from './engine-client.js';
import { isEngineError } from './errors.js';
import { findHeldChains } from './held-layers.js';
import type { LoadStream } from './load-stream.js';
import { engineUsesContainerdStore } from './system.js';
import { checkEngineTag } from './tag-rules.js';

export interface LoadImageInput {
  /** The image config's exact bytes: the image ID is their digest. */
  readonly config: Uint8Array;
  /** The layers, oldest first; their diffIDs must be the config's `rootfs.diff_ids`. */
  readonly layers: readonly EngineLayer[];
  /** Names to give the image, checked with moby's rules before anything is sent; existing tags move. */
  readonly names: readonly Reference[];
}

export type LoadImageProgress =
  | { readonly phase: 'send'; readonly written: number; readonly total: number }
  /** Tagging `names[index]` as `name` (familiar, with its default tag). */
  | { readonly phase: 'tag'; readonly name: string; readonly index: number };

export interface LoadImageOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (event: LoadImageProgress) => void;
  /** Send placeholders for layers the Engine provably holds (default true); false sends every layer. */
  readonly reuseLayers?: boolean;
  /**
   * A load opened while the layers were built, holding some of them already (`LoadStream`): the rest of the
   * archive goes into it. An image the Engine turns out to have is only tagged, and the stream is dropped.
   */
  readonly stream?: LoadStream;
}

export interface LoadImageResult {
  /** The image ID: the config's digest. */
  readonly id: Digest;
  /** false when the Engine had the image already and only tagged it. */
  readonly loaded: boolean;
  readonly layersSent: number;
  /** Layers that travelled as placeholders because the Engine held their chain. */
  readonly layersReused: number;
  readonly bytesSent: number;
  /** The names given, familiar (`app:1`). */
  readonly tags: readonly string[];
}

function configDiffIds(config: Uint8Array): unknown {
  try {
    const parsed = JSON.parse(new TextDecoder().decode(config)) as { rootfs?: { diff_ids?: unknown } };
    return parsed?.rootfs?.diff_ids ?? [];
  } catch (cause) {
    throw new InvalidInputError('ENGINE_CONFIG_INVALID', 'the image config is not JSON', { cause });
  }
}

function checkLayers(input: LoadImageInput): void {
  const ids = configDiffIds(input.config);
  const want = input.layers.map((l) => l.diffId);
  if (!Array.isArray(ids) || ids.length !== want.length || ids.some((d, i) => d !== want[i])) {
    throw new InvalidInputError(
      'ENGINE_CONFIG_LAYERS',
      `the config's rootfs.diff_ids (${Array.isArray(ids) ? ids.length : 'none'}) do not match the ${want.length} layer(s) given`,
    );
  }
}

/** The loader's refusal of a placeholder whose chain vanished (an image removed meanwhile). */
function isMissingChain(error: unknown): boolean {
  return (
    isEngineError(error) && error.code === 'ENGINE_LOAD_REFUSED' && /invalid diffID/i.test(error.message)
  );
}

/**
 * Puts an image into a Docker Engine and names it, sending only what the Engine lacks: an image ID it already has is
 * only tagged; a layer whose chain it provably holds travels as an empty placeholder (see `findHeldChains`). The
 * archive is streamed to `POST /images/load` as it is read from the layers' sources. Names are refused (exit 3)
 * before anything is sent when moby's reference store would refuse them. Should a held chain vanish between the
 * check and the load, the daemon refuses the placeholder cleanly and the load is retried once with every layer.
 */
export async function loadImage(
  engine: EngineClient,
  input: LoadImageInput,
  options: LoadImageOptions = {},
): Promise<LoadImageResult> {
  const { signal } = options;
  const sig = signal ? { signal } : {};
  const tags = input.names.map(checkEngineTag);
  checkLayers(input);
  const id = digestOf(input.config);
  // moby reads zstd layers from Docker 23 (API 1.42) on; older daemons would take them for plain tar.
  if (input.layers.some((l) => l.descriptor.mediaType.includes('zstd'))) {
    const v = await engine.apiVersion(sig);
    if (compareApiVersions(v, '1.42') < 0) {
      throw new InvalidInputError(
        'ENGINE_ZSTD_UNSUPPORTED',
        `the Docker Engine at ${engine.address} speaks API ${v} (before Docker 23), which reads no zstd layers: use gzip or uncompressed layers`,
      );
    }
  }
  const tagAll = async () => {
    for (const [index, t] of tags.entries()) {
      options.onProgress?.({ phase: 'tag', name: familiarString(t), index });
      await engine.tagImage(id, t, sig);
    }
  };
  const stream = options.stream;
  if ((await engine.findImage(id, sig)) !== undefined) {
    stream?.abort(new Error('the Docker Engine has the image already'));
    await tagAll();
    return {
      id,
      loaded: false,
      layersSent: 0,
      layersReused: 0,
      bytesSent: 0,
      tags: tags.map(familiarString),
    };
  }

  const chains = chainIds(input.layers.map((l) => l.diffId));
  const held = options.reuseLayers === false ? new Set<Digest>() : await findHeldChains(engine, chains, sig);
  let placeholders = new Set<number>();
  const prewritten = new Map<number, string>();
  chains.forEach((c, i) => {
    const path = stream?.pathOf((input.layers[i] as EngineLayer).diffId);
    if (path !== undefined) prewritten.set(i, path);
    else if (held.has(c)) placeholders.add(i);
  });

  let bytesSent = 0;
  const send = async () => {
    bytesSent = 0;
    const before = stream?.bytes ?? 0;
    const archive = dockerArchiveStream(
      { config: input.config, layers: input.layers, placeholders, prewritten },
      {
        ...sig,
        onBytes: (written, total) => {
          bytesSent = before + written;
          options.onProgress?.({ phase: 'send', written: before + written, total: before + total });
        },
      },
    );
    bytesSent = before;
    return stream ? stream.finish(archive) : engine.loadArchive(archive, sig);
  };
  let result: Awaited<ReturnType<typeof send>>;
  try {
    result = await send();
  } catch (error) {
    // A streamed load cannot be sent again (its layers are gone by): the refusal stands.
    if (stream || placeholders.size === 0 || !isMissingChain(error)) throw error;
    placeholders = new Set();
    result = await send();
  }
  // The daemon names what it stored; it must be this config's digest (unless images live in containerd, which
  // names them by manifest digest).
  if (
    !result.imageIds.includes(id) &&
    (await engine.findImage(id, sig)) === undefined &&
    !(await engineUsesContainerdStore(engine, sig))
  ) {
    throw new IntegrityError(
      'ENGINE_IMAGE_ID_MISMATCH',
      `the Docker Engine stored ${result.imageIds.join(', ') || 'no image'}, expected ${id}`,
      { expected: id, actual: result.imageIds.join(',') },
    );
  }
  await tagAll();
  return {
    id,
    loaded: true,
    layersSent: input.layers.length - placeholders.size,
    layersReused: placeholders.size,
    bytesSent,
    tags: tags.map(familiarString),
  };
}
