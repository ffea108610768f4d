import { join, resolve } from 'node:path';
import { copyBlob, type FullStore, withLease } from '@lading/content-store';
import { type Descriptor, OptionError } from '@lading/digest';
import { type SourceImage, sourceImages, writeImages } from '../operations/write-image.js';
import { parseBoolAttr, parseIntAttr } from '../plugin/attrs.js';
import { ResponseKey } from '../plugin/keys.js';
import type { ExportEnv, Exporter, ExporterInstance, ExportResult } from '../plugin/types.js';
import {
  type ContainerdChoice,
  type ContainerdSession,
  chooseContainerd,
  exportToContainerd,
  tapContainerdLayers,
} from './containerd-export.js';
import { imageNaming, recordNames } from './image-names.js';
import { type ImageOptions, imageOptionsFromAttrs } from './image-options.js';
import { recordImageResponse } from './image-response.js';

/** The keys the image exporter understands; any other key is passed on as source metadata, as BuildKit does. */
const known = new Set([
  'name',
  'push',
  'push-by-digest',
  'registry.insecure',
  'unpack',
  'unpack-dir',
  'unpack-max-bytes',
  'unpack-max-entries',
  'dangling-name-prefix',
  'name-canonical',
  'compression',
  'compression-level',
  'force-compression',
  'oci-mediatypes',
  'store',
  'source-date-epoch',
  'snapshotter',
]);

export interface ImageExporterOptions extends ImageOptions {
  readonly targetName: string;
  readonly push: boolean;
  readonly pushByDigest: boolean;
  readonly insecure: boolean;
  readonly unpack: boolean;
  readonly unpackDir: string | undefined;
  /** Caps on what `unpack` writes (bytes of file contents, tar entries): past them the export fails, exit 3. */
  readonly unpackLimits: { readonly maxBytes?: number; readonly maxEntries?: number };
  readonly danglingPrefix: string;
  readonly nameCanonical: boolean;
  readonly store: boolean;
  /** The containerd snapshotter `unpack` applies layers into (default overlayfs, containerd's own default). */
  readonly snapshotter: string;
  readonly meta: Record<string, Uint8Array>;
}

/** Validates the attributes of `type=image` (and `type=registry`, which defaults `push` to true). */
export function resolveImageAttrs(
  attrs: Readonly<Record<string, string>>,
  env: ExportEnv,
  options: { pushDefault: boolean },
): ImageExporterOptions {
  const image = imageOptionsFromAttrs(attrs, { ociDefault: false });
  const meta: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(attrs)) {
    if (!known.has(k) && !k.startsWith('annotation')) meta[k] = new TextEncoder().encode(v);
  }
  const push = parseBoolAttr(attrs, 'push', options.pushDefault);
  const store = parseBoolAttr(attrs, 'store', true);
  const targetName = attrs.name ?? '';
  const snapshotter = attrs.snapshotter ?? 'overlayfs';
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(snapshotter)) {
    throw new OptionError(
      'SNAPSHOTTER_INVALID',
      `snapshotter ${JSON.stringify(snapshotter)}: give a containerd snapshotter name (overlayfs, native, ...)`,
      { key: 'snapshotter' },
    );
  }
  if (push && targetName === '') {
    throw new OptionError('PUSH_WITHOUT_NAME', 'push needs a name: add name=REGISTRY/REPO:TAG', {
      key: 'name',
    });
  }
  return {
    ...image,
    targetName,
    push,
    pushByDigest: parseBoolAttr(attrs, 'push-by-digest'),
    insecure: parseBoolAttr(attrs, 'registry.insecure'),
    unpack: parseBoolAttr(attrs, 'unpack'),
    unpackDir: attrs['unpack-dir'] !== undefined ? resolve(env.cwd, attrs['unpack-dir']) : undefined,
    unpackLimits: unpackLimitsFromAttrs(attrs),
    danglingPrefix: attrs['dangling-name-prefix'] ?? '',
    nameCanonical: parseBoolAttr(attrs, 'name-canonical'),
    store,
    snapshotter,
    meta,
  };
}

function unpackLimitsFromAttrs(
  attrs: Readonly<Record<string, string>>,
): ImageExporterOptions['unpackLimits'] {
  const maxBytes = parseIntAttr(attrs, 'unpack-max-bytes', { min: 0 });
  const maxEntries = parseIntAttr(attrs, 'unpack-max-entries', { min: 0 });
  return {
    ...(maxBytes !== undefined ? { maxBytes } : {}),
    ...(maxEntries !== undefined ? { maxEntries } : {}),
  };
}

function safeDirName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_');
}

/**
 * `type=image`: into containerd when an address is given (`--containerd-address`, `CONTAINERD_ADDRESS`) or, with
 * `probeDefault`, when containerd answers on its default socket (see containerd-export.ts); else into the lading
 * store: the image written under a temporary lease, named in the store's image index (created or updated;
 * `name-canonical` adds `NAME@DIGEST`), unpacked into a directory and pushed on request.
 * `type=registry`: the same with `push=true`; it goes into containerd only when an address is given.
 */
function makeImageExporter(type: 'image' | 'registry', containerd: ContainerdChoice | undefined): Exporter {
  return {
    name: type,
    specificationVersion: 1,
    attributes: [...known, 'annotation*', 'containerimage.*'],
    resolve(attrs, env): ExporterInstance {
      const opts = resolveImageAttrs(attrs, env, { pushDefault: type === 'registry' });
      const choice = type === 'image' ? containerd : { ...containerd, probeDefault: false };
      // Decided once: by beginLayers when the layers are tapped, else by export.
      let where: ReturnType<typeof chooseContainerd> | undefined;
      let session: ContainerdSession | undefined;
      return {
        name: 'exporting to image',
        async beginLayers(ctx) {
          where ??= chooseContainerd(choice, env);
          const location = await where;
          if (location === undefined) return undefined;
          const tapped = await tapContainerdLayers(ctx, opts, location);
          session = tapped?.session;
          return tapped?.tap;
        },
        async export(source, ctx): Promise<ExportResult> {
          ctx.signal.throwIfAborted();
          where ??= chooseContainerd(choice, env);
          const location = await where;
          if (location !== undefined) {
            // A session the tap's abort closed is not reused.
            const open = session?.closed === false ? session : undefined;
            return exportToContainerd(source, ctx, opts, location, open);
          }
          const base = ctx.store as FullStore;
          const images = sourceImages(source);
          if (opts.unpack && images.length > 1) {
            throw new OptionError(
              'UNPACK_MULTI_PLATFORM',
              `unpack makes one rootfs; the source has ${images.length} platforms`,
              { key: 'unpack' },
            );
          }
          const lease = await base.createLease({ expiresInMs: 60 * 60 * 1000 });
          const store = withLease(base, lease.id); // every blob written below commits under the lease
          try {
            ctx.progress.start('layers', 'exporting layers');
            for (const { image } of images) {
              // The lease view records a blob it finds present before it answers, so no GC can take it meanwhile.
              for (const l of image.layers) await copyBlob(source.provider, store, l.descriptor);
            }
            ctx.progress.done('layers');
            const written = await writeImages(store, source, {
              oci: opts.oci,
              ...(opts.epoch !== undefined ? { epoch: opts.epoch } : {}),
              annotationGroups: opts.annotations,
              onWarning: (w) => ctx.logger.warn(w),
              names: opts.targetName.split(',').filter((n) => n !== '' && n !== '*'),
            });
            for (const { written: w } of written.images) {
              await store.addLeaseResource(lease.id, w.config.digest);
              await store.addLeaseResource(lease.id, w.manifest.digest);
            }
            for (const a of written.attestations ?? [])
              for (const b of a.blobs) await store.addLeaseResource(lease.id, b.descriptor.digest);
            await store.addLeaseResource(lease.id, written.root.digest);
            const image = (images[0] as SourceImage).image;
            const desc: Descriptor = written.root;
            const response: Record<string, string> = {};
            const { targetName, nameCanonical } = imageNaming(opts, source, desc.digest);
            if (targetName !== '') {
              const { ImageStore } = await import('@lading/reference-store');
              const images = new ImageStore(store);
              for (const name of targetName.split(',')) {
                if (opts.store) {
                  const label = `naming to ${name}`;
                  ctx.progress.start(label, label);
                  for (const n of recordNames(name, desc.digest, nameCanonical))
                    await images.put({ name: n, target: desc });
                  ctx.progress.done(label);
                  if (opts.unpack) {
                    const dir = opts.unpackDir ?? join(env.cwd, 'rootfs', safeDirName(name));
                    const ulabel = `unpacking to ${name}`;
                    ctx.progress.start(ulabel, ulabel);
                    const { unpackLayers } = await import('@lading/layer');
                    await unpackLayers(
                      dir,
                      image.layers.map((l) => ({
                        source: store.read(l.descriptor, { signal: ctx.signal }),
                        diffId: l.diffId,
                      })),
                      { signal: ctx.signal, ...opts.unpackLimits },
                    );
                    ctx.progress.done(ulabel);
                  }
                }
                if (opts.push) {
                  const { pushImage } = await import('@lading/push');
                  const plabel = `pushing ${name}`;
                  ctx.progress.start(plabel, plabel);
                  await pushImage(store, desc, name, {
                    byDigest: opts.pushByDigest,
                    ...(opts.insecure ? { insecure: true } : {}),
                    signal: ctx.signal,
                  });
                  ctx.progress.done(plabel);
                }
              }
              response[ResponseKey.imageName] = targetName;
            }
            recordImageResponse(response, desc, written);
            return { response, descriptor: desc };
          } finally {
            await store.deleteLease(lease.id);
          }
        },
      };
    },
  };
}

/**
 * The `image` and `registry` exporters with a containerd to export into (or to look for): what the CLI's
 * `--containerd-address` / `--namespace` make.
 */
export function createImageExporters(containerd?: ContainerdChoice): { image: Exporter; registry: Exporter } {
  return {
    image: makeImageExporter('image', containerd),
    registry: makeImageExporter('registry', containerd),
  };
}

/** Into containerd when `CONTAINERD_ADDRESS` is set, else into the lading store. */
export const imageExporter: Exporter = makeImageExporter('image', undefined);
export const registryExporter: Exporter = makeImageExporter('registry', undefined);
