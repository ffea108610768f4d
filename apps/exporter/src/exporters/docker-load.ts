import { createMemoryStore } from '@lading/content-store';
import { OptionError } from '@lading/digest';
import type { EngineClient, LoadStream } from '@lading/docker-engine';
import type { Reference } from '@lading/reference-store/reference';
import { sourceImages, type WriteImageOptions, writeImages } from '../operations/write-image.js';
import type { ExportContext, ExportEnv, ExportImage, ExportSource } from '../plugin/types.js';
import { connectEngine, engineNames, loadIntoEngine } from './engine-load.js';

/** Where `type=docker` without `dest=` loads: the Engine, and the names checked against moby's rules. */
export interface DockerLoadTarget {
  readonly engine: EngineClient;
  readonly names: readonly Reference[];
}

/** Checks the names and that an Engine answers, before anything is built. */
export async function prepareDockerLoad(names: readonly string[], env: ExportEnv): Promise<DockerLoadTarget> {
  const refs = await engineNames(names);
  const engine = await connectEngine(env, 'give dest=FILE to write the archive instead');
  return { engine, names: refs };
}

/**
 * `type=docker` without `dest=`: the image loaded into the Engine, as buildx's docker exporter does with `--load`,
 * but sending only what the Engine lacks. Config and manifest are made as for the archive (same digests).
 */
export async function loadDockerImage(
  target: DockerLoadTarget,
  source: ExportSource,
  options: WriteImageOptions,
  ctx: ExportContext,
  stream?: LoadStream,
): Promise<Awaited<ReturnType<typeof writeImages>>> {
  const images = sourceImages(source);
  if (images.length > 1) {
    target.engine.close();
    throw new OptionError(
      'DOCKER_ONE_PLATFORM',
      `type=docker loads one image; the source has ${images.length} platforms: pick one with --platform`,
      { key: 'type' },
    );
  }
  const written = await writeImages(createMemoryStore(), source, options);
  const only = written.images[0];
  const image = images[0]?.image as ExportImage;
  await loadIntoEngine(
    target.engine,
    {
      config: only?.written.configBytes ?? new Uint8Array(),
      layers: image.layers,
      names: target.names,
      provider: source.provider,
      stream,
    },
    ctx,
  );
  return written;
}
