import { headerFields } from './control-file.js';
import { defined, type FileFindings } from './found-package.js';

/**
 * The license of a Python distribution: PEP 639's License-Expression, else a one-line License field, else the
 * names of its `License ::` classifiers.
 */
function pythonLicense(h: Map<string, string[]>): string | undefined {
  const expression = h.get('license-expression')?.[0];
  if (expression) return expression;
  const license = h.get('license')?.[0];
  if (license && !license.includes('\n') && license.length <= 80 && license !== 'UNKNOWN') return license;
  const classified = (h.get('classifier') ?? [])
    .filter((c) => c.startsWith('License ::'))
    .map((c) => c.split('::').at(-1)?.trim() ?? '')
    .filter((c) => c !== '' && c !== 'OSI Approved');
  return classified.length > 0 ? classified.join(' AND ') : undefined;
}

/** A distribution's `*.dist-info/METADATA` (or `*.egg-info/PKG-INFO`): Name, Version, license, author, home page. */
export function parsePythonMetadata(path: string, bytes: Uint8Array): FileFindings {
  const h = headerFields(new TextDecoder().decode(bytes));
  const name = h.get('name')?.[0];
  const version = h.get('version')?.[0];
  if (!name || !version) return { path, kind: 'python-metadata', warning: 'no Name and Version' };
  const author = h.get('author')?.[0] ?? h.get('author-email')?.[0];
  return {
    path,
    kind: 'python-metadata',
    packages: [
      defined({
        ecosystem: 'pypi',
        name,
        version,
        license: pythonLicense(h),
        description: h.get('summary')?.[0],
        homepage: h.get('home-page')?.[0],
        originator: author,
      }),
    ],
  };
}
