import { OptionError, setOwn } from '@lading/digest';

/**
 * Splits one CSV record as Go's encoding/csv does (buildctl reads `--output` with it): fields separated by commas,
 * a field starting with `"` is quoted, `""` inside it is a quote, and commas inside quotes stay.
 */
export function parseCsvRecord(input: string, flag = '--output'): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (input[i] === '"') {
      i++;
      for (;;) {
        if (i >= input.length) {
          throw new OptionError('CSV_UNTERMINATED', `${flag} ${JSON.stringify(input)}: unterminated quote`, {
            key: flag,
          });
        }
        const c = input[i] as string;
        if (c === '"') {
          if (input[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += c;
        i++;
      }
      if (i < input.length && input[i] !== ',') {
        throw new OptionError(
          'CSV_EXTRA_AFTER_QUOTE',
          `${flag} ${JSON.stringify(input)}: extraneous text after a quoted field at ${i}`,
          {
            key: flag,
          },
        );
      }
    } else {
      const end = input.indexOf(',', i);
      field = end < 0 ? input.slice(i) : input.slice(i, end);
      if (field.includes('"')) {
        throw new OptionError(
          'CSV_BARE_QUOTE',
          `${flag} ${JSON.stringify(input)}: bare " in a field: quote the whole field ("key=a,b")`,
          {
            key: flag,
          },
        );
      }
      i = end < 0 ? input.length : end;
    }
    fields.push(field);
    if (i >= input.length) break;
    i++; // the comma
  }
  return fields;
}

export interface OutputSpec {
  readonly type: string;
  readonly attrs: Record<string, string>;
}

/** `type=image,"name=a,b",push=true` -> { type: 'image', attrs: { name: 'a,b', push: 'true' } }. */
export function parseOutputSpec(input: string, flag = '--output'): OutputSpec {
  const attrs: Record<string, string> = {};
  let type: string | undefined;
  for (const field of parseCsvRecord(input, flag)) {
    const eq = field.indexOf('=');
    if (eq < 0) {
      throw new OptionError(
        'OUTPUT_FIELD_INVALID',
        `${flag}: invalid value ${JSON.stringify(field)}: expected KEY=VALUE`,
        {
          key: flag,
        },
      );
    }
    const key = field.slice(0, eq).trim().toLowerCase();
    const value = field.slice(eq + 1);
    if (key === 'type') type = value;
    // A key named __proto__ is an attribute like any other (assigned, it would vanish into the prototype).
    else setOwn(attrs, key, value);
  }
  if (type === undefined || type === '') {
    throw new OptionError(
      'OUTPUT_TYPE_MISSING',
      `${flag} ${JSON.stringify(input)}: type=... is required (oci, docker, image, registry, moby, local plugin types)`,
      {
        key: flag,
      },
    );
  }
  return { type, attrs };
}
