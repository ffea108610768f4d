// An example lading exporter plugin: `type=summary,dest=FILE` writes a JSON summary of the image (config digest,
// layers with their diff IDs and sizes) instead of an image. Load it with:
//   lading export ./examples/hello-rootfs --exporter-plugin ./examples/exporter-plugin/index.mjs \
//     -o type=summary,dest=summary.json
// lading hands the plugin API (@lading/exporter/plugin: attribute helpers, response keys, OptionError) to
// createExporters, so the plugin needs no lading install of its own and errors keep their exit codes.
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';

/**
 * @param {typeof import('@lading/exporter/plugin')} api
 * @returns {import('@lading/exporter/plugin').Exporter[]}
 */
export function createExporters(api) {
  const { OptionError, parseBoolAttr, ResponseKey, specificationVersion } = api;
  const summaryExporter = {
    name: 'summary',
    specificationVersion,
    resolve(attrs, env) {
      const dest = attrs.dest;
      if (!dest) throw new OptionError('SUMMARY_DEST', 'type=summary needs dest=FILE', { key: 'dest' });
      const pretty = parseBoolAttr(attrs, 'pretty', false);
      const file = resolve(env.cwd, dest);
      return {
        name: 'exporting summary',
        async export(source, ctx) {
          ctx.signal.throwIfAborted();
          const image = source.ref ?? Object.values(source.refs ?? {})[0];
          ctx.progress.start('summary', `writing summary to ${file}`);
          const config = image?.config;
          const summary = {
            config: config ? `sha256:${createHash('sha256').update(config).digest('hex')}` : null,
            layers: (image?.layers ?? []).map((l) => ({
              digest: l.descriptor.digest,
              diffId: l.diffId,
              size: l.descriptor.size,
              mediaType: l.descriptor.mediaType,
            })),
          };
          await writeFile(file, `${JSON.stringify(summary, null, pretty ? 2 : 0)}\n`);
          ctx.progress.done('summary');
          return {
            response: {
              'summary.file': file,
              ...(summary.config ? { [ResponseKey.configDigest]: summary.config } : {}),
            },
          };
        },
      };
    },
  };
  return [summaryExporter];
}
