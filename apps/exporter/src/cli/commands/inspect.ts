import { resolve } from 'node:path';
import { type Digest, digestEncoded, OptionError, parsePlatform } from '@lading/digest';
import { type InspectedImage, inspectImage } from '../../operations/images.js';
import { commonOptions, defaultStoreDir } from '../common.js';
import { parseTemplate, renderTemplate } from '../go-template.js';
import { helpTexts } from '../help.js';
import { parseArgs } from '../parse-args.js';

export const help = helpTexts.inspect;

/**
 * What `--format` reads: lading's own fields (`.name`, `.descriptor`, `.manifest`, `.config`, as `--json` prints
 * them) and buildah inspect's (`.FromImage`, `.FromImageID`, `.FromImageDigest`, `.OCIv1`, `.Docker`, `.Manifest`
 * and `.Config` as JSON text, `.ImageAnnotations`, `.History`).
 */
export function inspectFields(result: InspectedImage) {
  const decoder = new TextDecoder();
  const config = (result.config ?? {}) as Record<string, unknown>;
  const manifest = (result.manifest ?? {}) as { config?: { digest?: string }; annotations?: unknown };
  const configDigest = manifest.config?.digest;
  return {
    name: result.name,
    descriptor: result.descriptor,
    manifest: result.manifest,
    config: result.config,
    FromImage: result.name,
    FromImageID: configDigest !== undefined ? digestEncoded(configDigest as Digest) : '',
    FromImageDigest: result.descriptor.digest,
    Manifest: result.raw ? decoder.decode(result.raw.manifest) : JSON.stringify(result.manifest),
    Config: result.raw ? decoder.decode(result.raw.config) : JSON.stringify(result.config),
    OCIv1: config,
    Docker: config,
    ImageAnnotations: manifest.annotations ?? {},
    History: config.history ?? [],
  };
}

export async function run(args: string[], signal?: AbortSignal): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...commonOptions,
      platform: { type: 'string' },
      config: { type: 'boolean' },
      raw: { type: 'boolean' },
      format: { type: 'string', short: 'f' },
      insecure: { type: 'boolean' },
    },
  });
  const [image] = positionals;
  if (image === undefined || positionals.length > 1)
    throw new OptionError('INSPECT_ARGS', 'lading inspect takes one IMAGE', {});
  if ([values.raw, values.config, values.format !== undefined].filter(Boolean).length > 1) {
    throw new OptionError('INSPECT_ONE_FORM', 'give one of --raw, --config and --format', { key: 'raw' });
  }
  const template = values.format !== undefined ? parseTemplate(values.format) : undefined;
  const result = await inspectImage(
    image,
    values.store !== undefined ? resolve(values.store) : defaultStoreDir(),
    values.platform !== undefined ? parsePlatform(values.platform) : undefined,
    { ...(values.insecure ? { insecure: true } : {}), ...(signal ? { signal } : {}) },
  );
  if (values.raw) {
    const raw = result.raw;
    if (raw === undefined) {
      throw new OptionError('INSPECT_RAW_UNAVAILABLE', `--raw: the bytes of ${image} are not at hand`, {
        key: 'raw',
      });
    }
    // As skopeo inspect --raw: what the name points to (an index stays an index), unless --platform picks one.
    const bytes = values.platform === undefined && raw.root !== undefined ? raw.root.bytes : raw.manifest;
    process.stdout.write(bytes);
    return 0;
  }
  if (template !== undefined) {
    process.stdout.write(`${renderTemplate(template, inspectFields(result))}\n`);
    return 0;
  }
  const { raw: _raw, ...shown } = result;
  process.stdout.write(`${JSON.stringify(values.config ? result.config : shown, null, 2)}\n`);
  return 0;
}
