import { resolve } from 'node:path';
import { type Digest, digestEncoded } from '@lading/digest';
import { parseOciReference } from '../../operations/base-image.js';
import { type ImageRow, listImageRows } from '../../operations/image-rows.js';
import { commonOptions, defaultStoreDir } from '../common.js';
import { renderTemplate, tableFormat } from '../go-template.js';
import { helpTexts } from '../help.js';
import { alignColumns, humanDuration, humanSize } from '../human-units.js';
import { parseArgs } from '../parse-args.js';

export const help = helpTexts.ls;

const defaultFormat = 'table {{.Name}}\t{{.ID}}\t{{.Digest}}\t{{.CreatedAt}}\t{{.Size}}';
const headers = {
  Name: 'NAME',
  ID: 'IMAGE ID',
  CreatedAt: 'CREATED',
  Created: 'CREATED',
  MediaType: 'MEDIA TYPE',
};

/** The fields `--format` reads, named as buildah's `images --format` names them. */
export function templateFields(row: ImageRow, options: { noTrunc: boolean; now: number }) {
  const created = row.created !== undefined ? new Date(row.created) : undefined;
  const valid = created !== undefined && !Number.isNaN(created.getTime());
  const id =
    row.id === undefined ? '<none>' : options.noTrunc ? row.id : digestEncoded(row.id as Digest).slice(0, 12);
  return {
    Name: row.name,
    Repository: row.repository,
    Tag: row.tag,
    ID: id,
    Digest: row.digest,
    MediaType: row.mediaType,
    Platforms: row.platforms,
    Created: valid ? Math.floor((created as Date).getTime() / 1000) : 0,
    CreatedAt: valid ? `${humanDuration(options.now - (created as Date).getTime())} ago` : '<none>',
    CreatedAtRaw: row.created ?? '',
    Size: row.contentSize !== undefined ? humanSize(row.contentSize) : '<none>',
  };
}

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...commonOptions,
      format: { type: 'string' },
      noheading: { type: 'boolean', short: 'n' },
      'no-trunc': { type: 'boolean' },
    },
  });
  const where = positionals[0]?.startsWith('oci:')
    ? resolve(parseOciReference(positionals[0]).dir)
    : values.store !== undefined
      ? resolve(values.store)
      : defaultStoreDir();
  // The template is checked before anything is read, so a bad one is a usage error even for an empty store.
  const { row, header } = tableFormat(values.format ?? defaultFormat, headers);
  const images = await listImageRows(where);
  if (values.json) {
    process.stdout.write(`${JSON.stringify(images, null, 2)}\n`);
    return 0;
  }
  const now = Date.now();
  const lines = images.map((i) =>
    renderTemplate(row, templateFields(i, { noTrunc: values['no-trunc'] ?? false, now })),
  );
  const table = header !== undefined;
  const out = table ? alignColumns([...(values.noheading ? [] : [header]), ...lines]) : lines;
  if (out.length > 0) process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}
