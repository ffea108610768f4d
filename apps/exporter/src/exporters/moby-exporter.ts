import { resolve } from 'node:path';
import { InvalidInputError, OptionError } from '@lading/digest';
import type { MobyDriver } from '@lading/docker-engine';
import { parseNormalizedReference, type Reference } from '@lading/reference-store/reference';
import { finalConfig } from '../operations/write-image.js';
import { imageConfigKey, MetadataKey, ResponseKey } from '../plugin/keys.js';
import type {
  ExportEnv,
  Exporter,
  ExporterInstance,
  ExportImage,
  ExportResult,
  ExportSource,
} from '../plugin/types.js';
import { exportToMobyDataRoot } from './moby-data-root.js';

interface Platforms {
  readonly Platforms?: readonly { readonly ID?: string }[];
}

/** The image and config moby's exporter would take from a source (the seed's checks and error strings). */
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

/**
 * `type=moby`: the image into a stopped dockerd's data-root (`root`, what `dockerd --data-root` takes), as
 * `docker load` leaves it, each name tagged in its repositories.json. `driver` is the graph driver for a root that
 * has no image store yet.
 */
export function createMobyExporter(options: { root: string; driver?: MobyDriver }): Exporter {
  return {
    name: 'moby',
    specificationVersion: 1,
    resolve(attrs, env: ExportEnv): ExporterInstance {
      const names: Reference[] = [];
      let metaConfig: Uint8Array | undefined;
      for (const [k, v] of Object.entries(attrs)) {
        if (k === 'name') {
          for (const n of v.split(',')) {
            try {
              names.push(parseNormalizedReference(n));
            } catch (cause) {
              throw new OptionError(
                'NAME_INVALID',
                `invalid name ${JSON.stringify(n)}: ${(cause as Error).message}`,
                { key: 'name', cause },
              );
            }
          }
        } else if (k === MetadataKey.imageConfig) {
          metaConfig = new TextEncoder().encode(v);
        }
        // Other keys are ignored, as moby does (it logs a warning).
      }
      const root = resolve(env.cwd, options.root);
      return {
        name: 'exporting to image',
        async export(source, ctx): Promise<ExportResult> {
          ctx.signal.throwIfAborted();
          for (const k of Object.keys(attrs)) {
            if (k !== 'name' && k !== MetadataKey.imageConfig)
              ctx.logger.warn(`image exporter: unknown option ${k}`);
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
          const id = await exportToMobyDataRoot(
            {
              root,
              ...(options.driver ? { driver: options.driver } : {}),
              config: bytes,
              layers: image?.layers ?? [],
              names,
              provider: source.provider,
            },
            ctx,
          );
          return { response: { [ResponseKey.imageDigest]: id } };
        },
      };
    },
  };
}
