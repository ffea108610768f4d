import { resolve } from 'node:path';
import { OptionError, parsePlatform } from '@lading/digest';
import { inspectImage } from '../../operations/images.js';
import { commonOptions, defaultStoreDir } from '../common.js';
import { parseTemplate, renderTemplate } from '../go-template.js';
import { helpTexts } from '../help.js';
import { inspectFields } from '../inspect-fields.js';
import { parseArgs } from '../parse-args.js';

export const help = helpTexts.inspect;

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
