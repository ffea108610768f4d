import { resolve } from 'node:path';
import { copyBlob, createMemoryStore, openLocalStore, type Provider } from '@lading/content-store';
import { type Descriptor, digestEncoded, MediaType, OptionError } from '@lading/digest';
import { ArchiveWriter } from '@lading/layer';
import { hasAttestations } from '../operations/attestations/attach.js';
import {
  type SourceImage,
  sourceEpoch,
  sourceImages,
  type WrittenImage,
  type WrittenImages,
  writeImages,
} from '../operations/write-image.js';
import { parseBoolAttr } from '../plugin/attrs.js';
import { ResponseKey } from '../plugin/keys.js';
import type {
  ExportContext,
  ExportEnv,
  Exporter,
  ExporterInstance,
  ExportImage,
  ExportResult,
  ExportSource,
} from '../plugin/types.js';
import type { DockerLoadTarget } from './docker-load.js';
import type { EngineLayerTap } from './engine-load.js';
import { type ImageOptions, imageOptionsFromAttrs } from './image-options.js';
import { AnnotationCreated, insertNamed, namedEntries, normalizedNames, rfc3339 } from './layout-names.js';
import { openOutputFile } from './output-file.js';

const ociLayoutFile = new TextEncoder().encode('{"imageLayoutVersion":"1.0.0"}');

async function copyMissing(src: Provider, dst: Awaited<ReturnType<typeof openLocalStore>>, desc: Descriptor) {
  try {
    await dst.info(desc.digest);
    return;
  } catch {
    await copyBlob(src, dst, desc);
  }
}

/** The ref name an OCI layout gets for a name: the tag of `repo:tag`, or the name as given. */
export function layoutRefName(name: string): string {
  const at = name.indexOf('@');
  const base = at >= 0 ? name.slice(0, at) : name;
  const slash = base.lastIndexOf('/');
  const colon = base.lastIndexOf(':');
  return colon > slash ? base.slice(colon + 1) : base;
}

interface OciExportOptions extends ImageOptions {
  /** undefined for type=docker without dest=: the image is loaded into the Engine. */
  readonly dest: string | undefined;
  readonly tar: boolean;
  readonly format: 'oci' | 'docker';
}

function resolveAttrs(
  type: 'oci' | 'docker',
  attrs: Readonly<Record<string, string>>,
  env: ExportEnv,
): OciExportOptions {
  const image = imageOptionsFromAttrs(attrs, { ociDefault: type === 'oci' });
  const named = { ...image, names: normalizedNames(image.names) };
  const tar = parseBoolAttr(attrs, 'tar', true);
  const dest = attrs.dest ?? '';
  // As buildx: type=docker without dest= loads the image into the Engine.
  if (type === 'docker' && dest === '' && tar) {
    return { ...named, dest: undefined, tar, format: type };
  }
  if (type === 'docker' && !tar) {
    throw new OptionError(
      'DOCKER_TAR_ONLY',
      'type=docker writes a tarball only: drop tar=false or use type=oci',
      {
        key: 'tar',
      },
    );
  }
  if (!tar) {
    if (dest === '' || dest === '-') {
      throw new OptionError(
        'DEST_REQUIRED',
        `type=${type},tar=false needs dest=DIR (a directory${dest === '-' ? ', not stdout' : ''})`,
        { key: 'dest' },
      );
    }
    return { ...named, dest: resolve(env.cwd, dest), tar, format: type };
  }
  // As buildx: a tarball without dest= goes to stdout.
  return { ...named, dest: dest === '' || dest === '-' ? '-' : resolve(env.cwd, dest), tar, format: type };
}

/** Every layer of every image of the source, each once. */
function allLayers(images: readonly SourceImage[]): Descriptor[] {
  const seen = new Map<string, Descriptor>();
  for (const { image } of images) for (const l of image.layers) seen.set(l.descriptor.digest, l.descriptor);
  return [...seen.values()];
}

function writeOptions(opts: OciExportOptions, ctx: ExportContext) {
  return {
    oci: opts.oci,
    ...(opts.epoch !== undefined ? { epoch: opts.epoch } : {}),
    annotationGroups: opts.annotations,
    onWarning: (w: string) => ctx.logger.warn(w),
    names: opts.names,
  };
}

type ToPath = OciExportOptions & { readonly dest: string };

/**
 * The exported descriptor stamped as BuildKit's OCI exporter stamps it: `org.opencontainers.image.created` (the
 * epoch, else now), unless an `annotation-manifest-descriptor` or `annotation-index-descriptor` set it.
 */
function stampCreated(written: WrittenImages, opts: OciExportOptions, source: ExportSource): WrittenImages {
  if (written.root.annotations?.[AnnotationCreated] !== undefined) return written;
  const when = opts.epoch ?? sourceEpoch(source) ?? new Date();
  return {
    ...written,
    root: {
      ...written.root,
      annotations: { ...written.root.annotations, [AnnotationCreated]: rfc3339(when) },
    },
  };
}

async function exportLayoutDir(opts: ToPath, source: ExportSource, ctx: ExportContext) {
  const images = sourceImages(source);
  const layout = await openLocalStore(opts.dest);
  ctx.progress.start('layers', 'exporting layers');
  for (const l of allLayers(images)) await copyMissing(source.provider, layout, l);
  ctx.progress.done('layers');
  const written = stampCreated(await writeImages(layout, source, writeOptions(opts, ctx)), opts, source);
  ctx.progress.start('manifest', `exporting manifest ${written.root.digest}`);
  await layout.updateIndex((index) => ({
    ...index,
    manifests: insertNamed(index.manifests, written.root, opts.names),
  }));
  ctx.progress.done('manifest');
  return written;
}

async function exportTarball(opts: ToPath, source: ExportSource, ctx: ExportContext, env: ExportEnv) {
  const images = sourceImages(source);
  if (opts.format === 'docker' && hasAttestations(source)) {
    // BuildKit's message (exporter/oci/export.go): with attestations the image is an index.
    throw new OptionError(
      'DOCKER_ATTESTATIONS',
      'docker exporter does not currently support exporting manifest lists',
      {
        key: 'type',
      },
    );
  }
  if (opts.format === 'docker' && images.length > 1) {
    throw new OptionError(
      'DOCKER_ONE_PLATFORM',
      `type=docker holds one image; the source has ${images.length} platforms: use type=oci`,
      { key: 'type' },
    );
  }
  const mem = createMemoryStore();
  const written = stampCreated(await writeImages(mem, source, writeOptions(opts, ctx)), opts, source);
  const out = await openOutputFile(opts.dest, env, opts.format);
  try {
    const mtime = opts.epoch ? Math.floor(opts.epoch.getTime() / 1000) : 0;
    const tar = new ArchiveWriter(out, { mtime });
    const enc = new TextEncoder();
    const small = async (name: string, bytes: Uint8Array) => tar.bytes(name, bytes);
    const blobName = (d: Descriptor) => `blobs/sha256/${digestEncoded(d.digest)}`;
    ctx.progress.start('layers', 'exporting layers');
    await tar.directory('blobs');
    await tar.directory('blobs/sha256');
    for (const l of allLayers(images)) {
      await tar.file(blobName(l), l.size, source.provider.read(l, { signal: ctx.signal }));
    }
    ctx.progress.done('layers');
    const seen = new Set<string>();
    for (const { written: w } of written.images) {
      for (const [d, bytes] of [
        [w.config, w.configBytes],
        [w.manifest, w.manifestBytes],
      ] as const) {
        if (seen.has(d.digest)) continue;
        seen.add(d.digest);
        await small(blobName(d), bytes);
      }
    }
    for (const a of written.attestations ?? []) {
      for (const b of a.blobs) {
        if (seen.has(b.descriptor.digest)) continue;
        seen.add(b.descriptor.digest);
        await small(blobName(b.descriptor), b.bytes);
      }
    }
    if (written.images.length > 1 || written.root.digest !== written.images[0]?.written.manifest.digest) {
      await small(blobName(written.root), written.rootBytes);
    }
    const names = opts.names;
    const single = written.images[0]?.written as WrittenImage;
    if (opts.format === 'docker') {
      // docker save's format: manifest.json (and repositories) beside the blobs, read by `docker load` and skopeo.
      // docker save writes familiar names (hello:1, not docker.io/library/hello:1).
      const image = images[0]?.image as ExportImage;
      const tags = names.map((n) => n.replace(/^docker\.io\/(library\/)?/, ''));
      const manifestJson = [
        {
          Config: blobName(single.config),
          RepoTags: tags.length > 0 ? tags : null,
          Layers: image.layers.map((l) => blobName(l.descriptor)),
        },
      ];
      await small('manifest.json', enc.encode(JSON.stringify(manifestJson)));
      if (tags.length > 0) {
        const repos: Record<string, Record<string, string>> = {};
        const top = digestEncoded(image.layers.at(-1)?.descriptor.digest ?? single.config.digest);
        for (const t of tags) {
          const c = t.lastIndexOf(':');
          const repo = t.slice(0, c);
          repos[repo] = { ...repos[repo], [t.slice(c + 1)]: top };
        }
        await small('repositories', enc.encode(JSON.stringify(repos)));
      }
    }
    // As containerd's archive exporter (BuildKit's for both types): one entry per name, full name and tag.
    const manifests = namedEntries(written.root, names);
    await small(
      'index.json',
      enc.encode(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests })),
    );
    await small('oci-layout', ociLayoutFile);
    await tar.end();
  } catch (error) {
    await out.abort();
    throw error;
  }
  await out.commit();
  return written;
}

/** The exporter's own attribute keys (others are warned about); `annotation*` are BuildKit's annotation keys. */
const attributes = [
  'name',
  'dest',
  'tar',
  'oci-mediatypes',
  'compression',
  'compression-level',
  'force-compression',
  'source-date-epoch',
  'annotation*',
  'containerimage.*',
];

function makeExporter(type: 'oci' | 'docker'): Exporter {
  return {
    name: type,
    specificationVersion: 1,
    attributes,
    resolve(attrs, env): ExporterInstance | Promise<ExporterInstance> {
      const opts = resolveAttrs(type, attrs, env);
      const instance = (load?: DockerLoadTarget): ExporterInstance => {
        let tap: EngineLayerTap | undefined;
        return {
          name: type,
          // Loading into the Engine: a layer built from a tree travels while it is made.
          ...(load !== undefined
            ? {
                async beginLayers(ctx: ExportContext) {
                  const { engineLayerTap } = await import('./engine-load.js');
                  tap = engineLayerTap(load.engine, ctx);
                  return tap;
                },
              }
            : {}),
          async export(source, ctx): Promise<ExportResult> {
            ctx.signal.throwIfAborted();
            const dest = opts.dest;
            const written =
              dest === undefined
                ? await (await import('./docker-load.js')).loadDockerImage(
                    load as DockerLoadTarget,
                    source,
                    writeOptions(opts, ctx),
                    ctx,
                    tap?.stream(),
                  )
                : opts.tar
                  ? await exportTarball({ ...opts, dest }, source, ctx, env)
                  : await exportLayoutDir({ ...opts, dest }, source, ctx);
            const response: Record<string, string> = {
              [ResponseKey.imageDigest]: written.root.digest,
              [ResponseKey.descriptor]: Buffer.from(JSON.stringify(written.root)).toString('base64'),
            };
            // as BuildKit: the config digest only for a single-platform image
            const only = written.images.length === 1 ? written.images[0] : undefined;
            if (only) response[ResponseKey.configDigest] = only.written.config.digest;
            if (opts.names.length > 0) response[ResponseKey.imageName] = opts.names.join(',');
            return { response, descriptor: written.root };
          },
        };
      };
      if (opts.dest !== undefined) return instance();
      return import('./docker-load.js').then(async (m) =>
        instance(await m.prepareDockerLoad(opts.names, env)),
      );
    },
  };
}

/** `type=oci`: an OCI image layout, as a tarball (default; `dest=-` or no dest: stdout) or, with `tar=false`, a directory. */
export const ociExporter: Exporter = makeExporter('oci');
/**
 * `type=docker`: a `docker save` tarball (manifest.json, repositories) that also holds an OCI layout; without
 * `dest=`, the image loaded into the Docker Engine instead.
 */
export const dockerExporter: Exporter = makeExporter('docker');
