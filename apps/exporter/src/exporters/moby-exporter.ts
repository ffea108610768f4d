import { join, resolve } from 'node:path';
import { digestOf, InvalidInputError, OptionError } from '@lading/digest';
import { formatReference, parseNormalizedReference, type Reference } from '@lading/reference-store/reference';
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

/** Where the moby-style stores live under a root (as /var/lib/docker/image/<driver>/). */
export function mobyPaths(root: string): { imagedb: string; repositories: string } {
  return {
    imagedb: join(root, 'image', 'lading', 'imagedb'),
    repositories: join(root, 'image', 'lading', 'repositories.json'),
  };
}

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

/** `type=moby`: the image config into a moby-style image store, each name tagged in repositories.json. */
export function createMobyExporter(options: { root: string }): Exporter {
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
          const { ImageDb, ReferenceStore } = await import('@lading/reference-store');
          for (const k of Object.keys(attrs)) {
            if (k !== 'name' && k !== MetadataKey.imageConfig)
              ctx.logger.warn(`image exporter: unknown option ${k}`);
          }
          const { image, config } = mobyInput(source, metaConfig);
          ctx.progress.start('layers', 'exporting layers');
          ctx.progress.done('layers');
          const bytes = finalConfig(
            {
              ...(config !== undefined ? { config } : {}),
              layers: image?.layers ?? [],
              ...(image?.layerMeta ? { layerMeta: image.layerMeta } : {}),
              ...(image?.inlineCache ? { inlineCache: image.inlineCache } : {}),
            },
            { onWarning: (w) => ctx.logger.warn(w) },
          );
          const paths = mobyPaths(root);
          const writing = `writing image ${digestOf(bytes)}`;
          ctx.progress.start('config', writing);
          const db = await ImageDb.open(paths.imagedb);
          const id = await db.create(bytes);
          ctx.progress.done('config');
          const tags = await ReferenceStore.open(paths.repositories);
          for (const n of names) {
            const label = `naming to ${formatReference(n)}`;
            ctx.progress.start(`tag ${label}`, label);
            await tags.addTag(n, id, { force: true });
            ctx.progress.done(`tag ${label}`);
          }
          return { response: { [ResponseKey.imageDigest]: id } };
        },
      };
    },
  };
}
