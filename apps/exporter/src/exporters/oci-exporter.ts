import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { copyBlob, createMemoryStore, openLocalStore, type Provider } from '@lading/content-store';
import { AnnotationRefName, type Descriptor, digestEncoded, MediaType, OptionError } from '@lading/digest';
import { writeImage } from '../operations/write-image.js';
import { parseBoolAttr } from '../plugin/attrs.js';
import { ResponseKey } from '../plugin/keys.js';
import type {
  ExportContext,
  ExportEnv,
  Exporter,
  ExporterInstance,
  ExportResult,
  ExportSource,
} from '../plugin/types.js';
import { type ImageOptions, imageOptionsFromAttrs, singleImage } from './image-options.js';
import { TarFileWriter } from './tar-stream.js';

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

function docker(name: string): string {
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  const qualified =
    slash < 0 || !(first.includes('.') || first.includes(':') || first === 'localhost')
      ? `docker.io/${slash < 0 ? 'library/' : ''}${name}`
      : name;
  const at = qualified.indexOf('@');
  const base = at >= 0 ? qualified.slice(0, at) : qualified;
  return base.lastIndexOf(':') > base.lastIndexOf('/') ? base : `${base}:latest`;
}

interface OciExportOptions extends ImageOptions {
  readonly dest: string;
  readonly tar: boolean;
  readonly format: 'oci' | 'docker';
}

function resolveAttrs(
  type: 'oci' | 'docker',
  attrs: Readonly<Record<string, string>>,
  env: ExportEnv,
): OciExportOptions {
  const image = imageOptionsFromAttrs(attrs, { ociDefault: type === 'oci' });
  const tar = parseBoolAttr(attrs, 'tar', true);
  const dest = attrs.dest;
  if (dest === undefined || dest === '') {
    throw new OptionError(
      'DEST_REQUIRED',
      `type=${type} needs dest=PATH (a ${tar ? 'tarball' : 'directory'})`,
      {
        key: 'dest',
      },
    );
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
  return { ...image, dest: resolve(env.cwd, dest), tar, format: type };
}

async function exportLayoutDir(opts: OciExportOptions, source: ExportSource, ctx: ExportContext) {
  const image = singleImage(source);
  const layout = await openLocalStore(opts.dest);
  ctx.progress.start('layers', 'exporting layers');
  for (const l of image.layers) await copyMissing(source.provider, layout, l.descriptor);
  ctx.progress.done('layers');
  const written = await writeImage(layout, image, {
    oci: opts.oci,
    ...(opts.epoch !== undefined ? { epoch: opts.epoch } : {}),
    ...(image.baseHistoryLength !== undefined ? { baseHistoryLength: image.baseHistoryLength } : {}),
    annotations: opts.annotations,
    onWarning: (w) => ctx.logger.warn(w),
  });
  ctx.progress.start('manifest', `exporting manifest ${written.manifest.digest}`);
  const refNames = opts.names.map(layoutRefName);
  await layout.updateIndex((index) => {
    const kept = index.manifests.filter((m) => {
      const n = m.annotations?.[AnnotationRefName];
      return n === undefined ? m.digest !== written.manifest.digest : !refNames.includes(n);
    });
    const added =
      refNames.length === 0
        ? [{ ...written.manifest }]
        : refNames.map((n) => ({ ...written.manifest, annotations: { [AnnotationRefName]: n } }));
    return { ...index, manifests: [...kept, ...added] };
  });
  ctx.progress.done('manifest');
  return written;
}

async function exportTarball(opts: OciExportOptions, source: ExportSource, ctx: ExportContext) {
  const image = singleImage(source);
  const mem = createMemoryStore();
  const written = await writeImage(mem, image, {
    oci: opts.oci,
    ...(opts.epoch !== undefined ? { epoch: opts.epoch } : {}),
    ...(image.baseHistoryLength !== undefined ? { baseHistoryLength: image.baseHistoryLength } : {}),
    annotations: opts.annotations,
    onWarning: (w) => ctx.logger.warn(w),
  });
  await mkdir(dirname(opts.dest), { recursive: true });
  const tmp = `${opts.dest}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w');
  try {
    const mtime = opts.epoch ? Math.floor(opts.epoch.getTime() / 1000) : 0;
    const tar = new TarFileWriter(fh, mtime);
    const enc = new TextEncoder();
    const small = async (name: string, bytes: Uint8Array) => tar.file(name, bytes.byteLength, [bytes]);
    const blobName = (d: Descriptor) => `blobs/sha256/${digestEncoded(d.digest)}`;
    ctx.progress.start('layers', 'exporting layers');
    await tar.directory('blobs');
    await tar.directory('blobs/sha256');
    const seen = new Set<string>();
    for (const l of image.layers) {
      if (seen.has(l.descriptor.digest)) continue;
      seen.add(l.descriptor.digest);
      await tar.file(
        blobName(l.descriptor),
        l.descriptor.size,
        source.provider.read(l.descriptor, { signal: ctx.signal }),
      );
    }
    ctx.progress.done('layers');
    await small(blobName(written.config), written.configBytes);
    await small(blobName(written.manifest), written.manifestBytes);
    const names = opts.names;
    if (opts.format === 'docker') {
      // docker save's format: manifest.json (and repositories) beside the blobs, read by `docker load` and skopeo.
      // docker save writes familiar names (hello:1, not docker.io/library/hello:1).
      const tags = names.map((n) => docker(n).replace(/^docker\.io\/(library\/)?/, ''));
      const manifestJson = [
        {
          Config: blobName(written.config),
          RepoTags: tags.length > 0 ? tags : null,
          Layers: image.layers.map((l) => blobName(l.descriptor)),
        },
      ];
      await small('manifest.json', enc.encode(JSON.stringify(manifestJson)));
      if (tags.length > 0) {
        const repos: Record<string, Record<string, string>> = {};
        const top = digestEncoded(image.layers.at(-1)?.descriptor.digest ?? written.config.digest);
        for (const t of tags) {
          const c = t.lastIndexOf(':');
          const repo = t.slice(0, c);
          repos[repo] = { ...repos[repo], [t.slice(c + 1)]: top };
        }
        await small('repositories', enc.encode(JSON.stringify(repos)));
      }
    }
    const manifests = (names.length === 0 ? [undefined] : names).map((n) => ({
      mediaType: written.manifest.mediaType,
      digest: written.manifest.digest,
      size: written.manifest.size,
      ...(n !== undefined
        ? {
            annotations: {
              'io.containerd.image.name': opts.format === 'docker' ? docker(n) : n,
              [AnnotationRefName]: layoutRefName(n),
            },
          }
        : {}),
    }));
    await small(
      'index.json',
      enc.encode(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests })),
    );
    await small('oci-layout', ociLayoutFile);
    await tar.end();
    await fh.sync();
  } catch (error) {
    await fh.close();
    await rm(tmp, { force: true });
    throw error;
  }
  await fh.close();
  await rename(tmp, opts.dest);
  return written;
}

function makeExporter(type: 'oci' | 'docker'): Exporter {
  return {
    name: type,
    specificationVersion: 1,
    resolve(attrs, env): ExporterInstance {
      const opts = resolveAttrs(type, attrs, env);
      return {
        name: type,
        async export(source, ctx): Promise<ExportResult> {
          ctx.signal.throwIfAborted();
          const written = opts.tar
            ? await exportTarball(opts, source, ctx)
            : await exportLayoutDir(opts, source, ctx);
          const response: Record<string, string> = {
            [ResponseKey.imageDigest]: written.manifest.digest,
            [ResponseKey.configDigest]: written.config.digest,
            [ResponseKey.descriptor]: Buffer.from(JSON.stringify(written.manifest)).toString('base64'),
          };
          if (opts.names.length > 0) response[ResponseKey.imageName] = opts.names.join(',');
          return { response, descriptor: written.manifest };
        },
      };
    },
  };
}

/** `type=oci`: an OCI image layout, as a tarball (default) or, with `tar=false`, a directory. */
export const ociExporter: Exporter = makeExporter('oci');
/** `type=docker`: a `docker save` tarball (manifest.json, repositories) that also holds an OCI layout. */
export const dockerExporter: Exporter = makeExporter('docker');
