import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** The version of lading writing the attestations (the exporter package's). */
export function ladingVersion(): string {
  cached ??= (
    JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
  ).version;
  return cached;
}
