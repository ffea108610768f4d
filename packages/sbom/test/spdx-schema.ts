import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';

// The SPDX 2.3 JSON schema, a fixture from the SPDX specification (see fixtures/README.md).
const schema = JSON.parse(readFileSync(new URL('./fixtures/spdx-schema-2.3.json', import.meta.url), 'utf8'));
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

/** The schema's complaints about a document (none: it is valid SPDX 2.3 JSON). */
export function spdxSchemaErrors(doc: unknown): string[] {
  if (validate(doc)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
}
