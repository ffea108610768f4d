import { resolve } from 'node:path';
import type { Provider } from '@lading/content-store';
import { type Digest, InvalidInputError } from '@lading/digest';
import type { EngineClient, LoadStream, MobyDriver } from '@lading/docker-engine';
import { formatReference, type Reference } from '@lading/reference-store/reference';
import { finalConfig } from '../operations/write-image.js';
import { imageConfigKey, MetadataKey, ResponseKey } from '../plugin/keys.js';
import type {
  ExportContext,
  ExportEnv,
  Exporter,
  ExporterInstance,
  ExportImage,
  ExportResult,
  ExportSource,
} from '../plugin/types.js';
import {
  connectEngine,
  type EngineLayerTap,
  engineLayerTap,
  engineNames,
  loadIntoEngine,
} from './engine-load.js';
import { exportToMobyDataRoot } from './moby-data-root.js';
import { suggestAttribute } from './unknown-attributes.js';

interface Platforms {
  readonly Platforms?: readonly { readonly ID?: string }[];
}

/** The image and config moby's exporter would take from a source (moby's builder/builder-next/exporter/export.go: its checks and error strings). */
export function mobyInput(
  source: ExportSource,
  metaConfig?: Uint8Array,
): { image: ExportImage | undefined; config: Uint8Array | undefined } {
  const refs = Object.values(source.refs ?? {});
  if (refs.length > 1) {
    throw new InvalidInputError(
      'MOBY_MULTI_REF',
      'exporting multiple references to image store is currently unsupported',
    );
  }
  if (source.ref !== undefined && refs.length === 1) {
    throw new InvalidInputError(
      'MOBY_REF_AND_REFS',
      'invalid exporter input: Ref and Refs are mutually exclusive',
    );
  }
  const image = source.ref ?? refs[0];
  let config: Uint8Array | undefined;
  if (refs.length === 0) {
    config = source.metadata[MetadataKey.imageConfig] ?? metaConfig;
  } else {
    const raw = source.metadata[MetadataKey.platforms];
    if (raw === undefined)
      throw new InvalidInputError('MOBY_NO_PLATFORMS', 'cannot export image, missing platforms mapping');
    let p: Platforms;
    try {
      p = JSON.parse(new TextDecoder().decode(raw)) as Platforms;
    } catch (cause) {
      throw new InvalidInputError('MOBY_BAD_PLATFORMS', 'failed to parse platforms passed to exporter', {
        cause,
      });
    }
    const list = p?.Platforms ?? [];
    if (list.length !== refs.length) {
      throw new InvalidInputError(
        'MOBY_PLATFORM_COUNT',
        `number of platforms does not match references ${list.length} ${refs.length}`,
      );
    }
    config = source.metadata[imageConfigKey(list[0]?.ID ?? '')];
  }
  return { image, config: config !== undefined && config.byteLength > 0 ? config : undefined };
}

/** Into the running Engine: only the layers it lacks travel; the image ID is the config's digest. */
async function exportToEngine(
  engine: EngineClient,
  config: Uint8Array,
  image: ExportImage | undefined,
  names: readonly Reference[],
  provider: Provider,
  ctx: ExportContext,
  stream: LoadStream | undefined,
): Promise<Digest> {
  const loaded = await loadIntoEngine(
    engine,
    { config, layers: image?.layers ?? [], names, provider, stream },
    ctx,
  );
  return loaded.id;
}

export interface MobyExporterOptions {
  /**
   * A data-root to write instead of a running Engine (`--moby-root`, `LADING_MOBY_ROOT`). Without it the image goes
   * into the Engine that DOCKER_HOST, the docker context or the default socket names.
   */
  readonly root?: string | undefined;
  /** The graph driver for a `root` without an image store yet (vfs or overlay2; default vfs). */
  readonly driver?: MobyDriver | undefined;
  /** The Engine to load into (DOCKER_HOST's grammar) instead of the one the environment names. */
  readonly engineHost?: string | undefined;
}

/**
 * `type=moby`: the image into Docker's own stores, as moby's BuildKit exporter puts it there: into the running
 * Engine over its API, or with `root` into a data-root. Image ID = config digest = `containerimage.digest`. Names
 * follow moby's reference store: familiar names, tags move, digest references and the repository `sha256` are
 * refused (exit 3) before anything is built or sent.
 */
export function createMobyExporter(options: MobyExporterOptions = {}): Exporter {
  return {
    name: 'moby',
    specificationVersion: 1,
    async resolve(attrs, env: ExportEnv): Promise<ExporterInstance> {
      let nameList: string[] = [];
      let metaConfig: Uint8Array | undefined;
      for (const [k, v] of Object.entries(attrs)) {
        if (k === 'name') {
          nameList = [...nameList, ...v.split(',')];
        } else if (k === MetadataKey.imageConfig) {
          metaConfig = new TextEncoder().encode(v);
        }
        // Other keys are ignored, as moby does (it logs a warning).
      }
      const names = await engineNames(nameList);
      const root = options.root !== undefined ? resolve(env.cwd, options.root) : undefined;
      const engine =
        root === undefined
          ? await connectEngine(
              env,
              "pass --moby-root DIR (or LADING_MOBY_ROOT) to write a stopped daemon's data-root",
              { host: options.engineHost },
            )
          : undefined;
      let tap: EngineLayerTap | undefined;
      return {
        name: 'exporting to image',
        // Into a running Engine, a layer built from a tree travels while it is made.
        beginLayers(ctx) {
          if (engine === undefined) return undefined;
          tap = engineLayerTap(engine, ctx);
          return tap;
        },
        async export(source, ctx): Promise<ExportResult> {
          ctx.signal.throwIfAborted();
          for (const k of Object.keys(attrs)) {
            if (k !== 'name' && k !== MetadataKey.imageConfig) {
              const near = suggestAttribute(k, ['name']);
              ctx.logger.warn(`image exporter: unknown option ${k}${near ? ` (did you mean ${near}?)` : ''}`);
            }
          }
          const { image, config } = mobyInput(source, metaConfig);
          const bytes = finalConfig(
            {
              ...(config !== undefined ? { config } : {}),
              layers: image?.layers ?? [],
              ...(image?.layerMeta ? { layerMeta: image.layerMeta } : {}),
              ...(image?.inlineCache ? { inlineCache: image.inlineCache } : {}),
            },
            { onWarning: (w) => ctx.logger.warn(w) },
          );
          const id =
            root !== undefined
              ? await exportToMobyDataRoot(
                  {
                    root,
                    ...(options.driver ? { driver: options.driver } : {}),
                    config: bytes,
                    layers: image?.layers ?? [],
                    names,
                    provider: source.provider,
                  },
                  ctx,
                )
              : await exportToEngine(
                  engine as EngineClient,
                  bytes,
                  image,
                  names,
                  source.provider,
                  ctx,
                  tap?.stream(),
                );
          // As moby's exporter (builder-next/exporter/mobyexporter): the config digest (the ID) and the names,
          // normalised, beside the image ID.
          const response: Record<string, string> = {
            [ResponseKey.configDigest]: id,
            [ResponseKey.imageDigest]: id,
          };
          if (names.length > 0) response[ResponseKey.imageName] = names.map(formatReference).join(',');
          return { response };
        },
      };
    },
  };
}
