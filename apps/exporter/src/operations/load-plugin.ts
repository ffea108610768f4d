import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidInputError, NotFoundError } from '@lading/digest';
import { type Exporter, type ExporterPluginModule, specificationVersion } from '../plugin/types.js';

function isExporter(x: unknown): x is Exporter {
  const e = x as Exporter;
  return typeof e === 'object' && e !== null && typeof e.name === 'string' && typeof e.resolve === 'function';
}

/** Loads the exporters of a plugin module (a path or a package name); checks their shape and specification version. */
export async function loadExporterPlugin(spec: string, cwd = process.cwd()): Promise<Exporter[]> {
  const url = spec.startsWith('.') || isAbsolute(spec) ? pathToFileURL(resolve(cwd, spec)).href : spec;
  let mod: ExporterPluginModule;
  try {
    mod = (await import(url)) as ExporterPluginModule;
  } catch (cause) {
    throw new NotFoundError(
      'PLUGIN_NOT_FOUND',
      `cannot load exporter plugin ${spec}: ${(cause as Error).message}`,
      { cause },
    );
  }
  const created =
    typeof mod.createExporters === 'function'
      ? await mod.createExporters(await import('../plugin/index.js'))
      : [];
  const list = [...created, ...(mod.exporters ?? []), ...(mod.exporter ? [mod.exporter] : [])];
  if (list.length === 0) {
    throw new InvalidInputError(
      'PLUGIN_EMPTY',
      `exporter plugin ${spec} exports none of "createExporters", "exporters", "exporter"`,
    );
  }
  for (const e of list) {
    if (!isExporter(e))
      throw new InvalidInputError(
        'PLUGIN_BAD_EXPORTER',
        `exporter plugin ${spec}: an entry has no name or resolve()`,
      );
    const v = e.specificationVersion ?? specificationVersion;
    if (v > specificationVersion) {
      throw new InvalidInputError(
        'PLUGIN_VERSION',
        `exporter plugin ${spec} (${e.name}) needs exporter specification ${v}; this lading supports ${specificationVersion}: upgrade lading`,
      );
    }
  }
  return list;
}
