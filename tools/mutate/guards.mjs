// The guards the mutation run covers (issue 20, item 8): for each, the code Stryker mutates and the tests that must
// notice. A guard's lines are found by the text they start and end with, so the ranges follow the code as it moves;
// a guard whose text is gone is mutated as a whole file (and its owner adjusts the pattern here).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** `file:start-end`, the lines from the first matching `from` to the next matching `to` (inclusive). */
function lines(file, from, to) {
  const text = readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8').split('\n');
  const start = text.findIndex((l) => from.test(l));
  const end = start < 0 ? -1 : text.findIndex((l, i) => i >= start && to.test(l));
  if (start < 0 || end < 0) {
    process.emitWarning(`mutate: ${from} .. ${to} not found in ${file}; mutating the whole file`);
    return file;
  }
  return `${file}:${start + 1}-${end + 1}`;
}

export const guards = {
  /** lading-buildah's archive extraction: no member lands outside, no link leads out. */
  'archive-extract': {
    mutate: () => [
      lines(
        'packages/transports/src/archive-extract.ts',
        /^function unsafe\(/,
        /^export async function extractArchive/,
      ),
      lines(
        'packages/transports/src/archive-extract.ts',
        /const \{ name, type, linkname, size \}/,
        /^ {6}entry\.resume\(\);$/,
      ),
      lines('packages/transports/src/read-image.ts', /const pathOf = \(name: string\) => \{/, /^ {2}\};$/),
    ],
    tests: ['apps/buildah-compat/test/archive-extract.test.ts'],
  },
  /** The 8 MiB image config cap: image-config's parse and the config reads of base images and docker-archive. */
  'config-cap': {
    mutate: () => [
      lines('packages/digest/src/caps.ts', /^export const maxConfigBytes/, /^export const maxConfigBytes/),
      lines(
        'packages/image-config/src/parse.ts',
        /^export function parseJsonObject/,
        /^ {2}return parseJson|^ {2}const value = parseJson/,
      ),
      lines(
        'apps/exporter/src/operations/base-image.ts',
        /readBlob\(store, doc\.config/,
        /readBlob\(store, doc\.config/,
      ),
      lines(
        'packages/transports/src/write-docker-archive.ts',
        /readBlob\(provider, manifest\.config/,
        /readBlob\(provider, manifest\.config/,
      ),
    ],
    tests: [
      'packages/image-config/src/parse.test.ts',
      'apps/exporter/test/base-image-cap.test.ts',
      'apps/buildah-compat/test/archive-extract.test.ts',
    ],
  },
  /** remote-cache: a failed layer write is CACHE_BLOB_MISSING, passes through, or is wrapped as CACHE_EXPORT_FAILED. */
  'cache-export-wrap': {
    mutate: () => [
      lines(
        'packages/remote-cache/src/export-cache.ts',
        /await target\.sink\.put\(blob\.descriptor/,
        /'CACHE_EXPORT_FAILED'/,
      ),
    ],
    tests: ['packages/remote-cache/src/export-cache-errors.test.ts'],
  },
  /** A moby-style tag that names another image moves to the new one (`force`), as moby's exporter tags. */
  'moby-retag-force': {
    mutate: () => [
      lines('packages/docker-engine/src/data-root/write-data-root.ts', /force: true/, /force: true/),
    ],
    tests: ['packages/docker-engine/test/data-root.test.ts'],
  },
  /** The image exporter drops name-canonical for dangling images (BuildKit's exporter/containerimage/export.go). */
  'name-canonical-dangling': {
    mutate: () => [
      lines(
        'apps/exporter/src/exporters/image-names.ts',
        /^export function imageNaming/,
        /^export function recordNames/,
      ),
    ],
    tests: ['apps/exporter/src/exporters/image-names.test.ts'],
  },
};

/** The guards asked for with LADING_MUTATE (comma-separated names), else all of them. */
export function selectedGuards(env = process.env) {
  const names = env.LADING_MUTATE ? env.LADING_MUTATE.split(',').map((s) => s.trim()) : Object.keys(guards);
  for (const n of names) {
    if (!(n in guards))
      throw new Error(`LADING_MUTATE: no guard named ${n}; known: ${Object.keys(guards).join(', ')}`);
  }
  return names.map((n) => guards[n]);
}
