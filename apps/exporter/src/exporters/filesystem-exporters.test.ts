import { join } from 'node:path';
import { describeExporterConformance } from '../plugin/conformance.js';
import { localExporter } from './local-exporter.js';
import { tarExporter } from './tar-exporter.js';

// type=local and type=tar are exporters like the others: the same kit third-party exporters pass.
describeExporterConformance('local', localExporter, undefined, {
  attrs: (d) => ({ dest: join(d, 'rootfs') }),
});
describeExporterConformance('tar', tarExporter, undefined, { attrs: (d) => ({ dest: join(d, 'fs.tar') }) });
