import type { Provider } from '@lading/content-store';
import { digestOf, OptionError } from '@lading/digest';
import type { EngineClient, LoadImageResult, LoadStream } from '@lading/docker-engine';
import { formatReference, parseNormalizedReference, type Reference } from '@lading/reference-store/reference';
import type { ExportContext, ExportEnv, ExportLayer, LayerTap } from '../plugin/types.js';

/**
 * The names of `name=` for an image that goes into Docker: each parsed as Docker does (an OptionError naming the key
 * when it does not parse), then held to moby's reference-store rules (digest references and a repository named
 * `sha256` are refused with exit 3), all before any layer is built or sent.
 */
export async function engineNames(list: readonly string[]): Promise<Reference[]> {
  const { checkEngineTag } = await import('@lading/docker-engine');
  return list.map((n) => {
    let ref: Reference;
    try {
      ref = parseNormalizedReference(n);
    } catch (cause) {
      throw new OptionError(
        'NAME_INVALID',
        `invalid name ${JSON.stringify(n)}: ${(cause as Error).message}`,
        {
          key: 'name',
          cause,
        },
      );
    }
    checkEngineTag(ref);
    return ref;
  });
}

/**
 * A client for the Engine the environment names (DOCKER_HOST, the docker context, else the default socket), checked
 * to answer now, so a missing daemon fails before any layer is built. `instead` says what else the user can do.
 */
export async function connectEngine(
  env: ExportEnv,
  instead: string,
  options: { readonly host?: string | undefined } = {},
): Promise<EngineClient> {
  const { EngineError, isEngineUnreachable, openEngineClient } = await import('@lading/docker-engine');
  const engine = await openEngineClient({ env: env.env, ...(options.host ? { host: options.host } : {}) });
  try {
    await engine.apiVersion();
  } catch (error) {
    engine.close();
    if (!isEngineUnreachable(error)) throw error;
    throw new EngineError('ENGINE_UNREACHABLE', `${error.message}; start Docker, or ${instead}`, {
      ...(error.address !== undefined ? { address: error.address } : {}),
      cause: error,
    });
  }
  return engine;
}

/**
 * Loads one image into the Engine (only what it lacks) with moby's exporter's progress: "exporting layers" with the
 * bytes sent, "writing image <id>", then "naming to <name>" for each name. Closes the client.
 */
export async function loadIntoEngine(
  engine: EngineClient,
  image: {
    readonly config: Uint8Array;
    readonly layers: readonly ExportLayer[];
    readonly names: readonly Reference[];
    readonly provider: Provider;
    /** The load the layer tap opened while layers were built (see `engineLayerTap`). */
    readonly stream?: LoadStream | undefined;
  },
  ctx: ExportContext,
): Promise<LoadImageResult> {
  const { loadImage } = await import('@lading/docker-engine');
  const { progress } = ctx;
  let open: string | undefined;
  const step = (id: string | undefined, name?: string) => {
    if (open !== undefined) progress.done(open);
    open = id;
    if (id !== undefined) progress.start(id, name ?? id);
  };
  const written = () => {
    if (open !== 'layers') return;
    const label = `writing image ${digestOf(image.config)}`;
    step('config', label);
    step(undefined);
  };
  step('layers', 'exporting layers');
  try {
    const result = await loadImage(
      engine,
      {
        config: image.config,
        layers: image.layers.map((l) => ({
          diffId: l.diffId,
          descriptor: l.descriptor,
          open: (o) => image.provider.read(l.descriptor, o),
        })),
        names: image.names,
      },
      {
        signal: ctx.signal,
        ...(image.stream ? { stream: image.stream } : {}),
        onProgress: (e) => {
          if (e.phase === 'send') {
            progress.update('layers', e.written, e.total);
            return;
          }
          written();
          const ref = image.names[e.index];
          const label = `naming to ${ref ? formatReference(ref) : e.name}`;
          step(`tag ${label}`, label);
        },
      },
    );
    written();
    step(undefined);
    if (!result.loaded) ctx.logger.debug(`the Engine had image ${result.id} already: only tagged`);
    else if (result.layersReused > 0) {
      ctx.logger.debug(`${result.layersReused} layer(s) the Engine holds travelled as placeholders`);
    }
    return result;
  } catch (error) {
    if (open !== undefined) progress.done(open, error);
    throw error;
  } finally {
    engine.close();
  }
}

/**
 * A tap that opens the Engine's load at the first layer built from a tree and sends that layer (and the next ones)
 * while they are made, so the daemon untars them during the build; `stream()` hands the load to `loadIntoEngine`.
 * A layer the cache answers is not built and goes as before, from the store.
 */
export type EngineLayerTap = LayerTap & { stream(): LoadStream | undefined };

export function engineLayerTap(engine: EngineClient, ctx: ExportContext): EngineLayerTap {
  let load: LoadStream | undefined;
  return {
    async layer(t) {
      const { LoadStream } = await import('@lading/docker-engine');
      load ??= new LoadStream(engine, { signal: ctx.signal });
      const open = load;
      const entry = await open.layer(t.size);
      ctx.logger.debug(`layer ${t.index}: sent to the Docker Engine while it is built (${t.size} bytes)`);
      return {
        write: (chunk) => entry.write(chunk),
        end: (layer) => entry.end(layer.diffId),
        abort: (reason) => open.abort(reason),
      };
    },
    abort(reason) {
      load?.abort(reason);
    },
    stream: () => load,
  };
}
