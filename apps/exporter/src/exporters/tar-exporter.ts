import type { Exporter, ExporterInstance, ExportResult } from '../plugin/types.js';
import { filesystemAttributes, filesystemImages, parseFilesystemAttrs } from './filesystem-options.js';
import { writeMergedTar } from './merged-tar.js';
import { openOutputFile } from './output-file.js';

/**
 * `type=tar`: the image's filesystem (not an image) as one tarball, as BuildKit's tar exporter writes it
 * (exporter/tar/export.go, fsutil's WriteTar): the layers merged with whiteouts applied, owners and modes of the
 * image, whole-second times (the epoch for every entry when one is set), no user or group names; several platforms
 * go under `os_arch/` directories (always, as BuildKit's tar exporter does). `dest=-` (or no dest) is stdout.
 * Streamed from the layer blobs: nothing is unpacked, and a file output appears whole or not at all.
 */
export const tarExporter: Exporter = {
  name: 'tar',
  specificationVersion: 1,
  attributes: filesystemAttributes,
  resolve(attrs, env): ExporterInstance {
    const opts = parseFilesystemAttrs('tar', attrs);
    return {
      name: 'exporting to client tarball',
      async export(source, ctx): Promise<ExportResult> {
        ctx.signal.throwIfAborted();
        const images = filesystemImages(source, { ...opts, platformSplit: undefined });
        if (opts.platformSplit === false && images.length > 1) {
          ctx.logger.warn(
            'type=tar: platform-split=false is ignored: each platform goes under its own directory',
          );
        }
        const out = await openOutputFile(opts.dest, env, 'tar');
        ctx.progress.start('tar', 'sending tarball');
        try {
          await writeMergedTar(
            images.map((i) => ({
              prefix: i.subdir,
              layers: i.image.layers.map((l) => ({
                open: () => source.provider.read(l.descriptor, { signal: ctx.signal }),
                diffId: l.diffId,
              })),
              ...(i.epoch !== undefined ? { epoch: i.epoch } : {}),
            })),
            out,
            { signal: ctx.signal, onEntry: ({ bytes }) => ctx.progress.update('tar', bytes) },
          );
        } catch (error) {
          await out.abort();
          ctx.progress.done('tar', error);
          throw error;
        }
        await out.commit();
        ctx.progress.done('tar');
        return { response: {} };
      },
    };
  },
};
