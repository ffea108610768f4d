import { defined, type FileFindings, type OsRelease } from './found-package.js';

/** `etc/os-release` (or `usr/lib/os-release`): ID, VERSION_ID and VERSION_CODENAME, quotes removed. */
export function parseOsRelease(path: string, bytes: Uint8Array): FileFindings {
  const values = new Map<string, string>();
  for (const line of new TextDecoder().decode(bytes).split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = (m[2] as string).trim();
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1);
    values.set(m[1] as string, v.replace(/\\(["\\$`])/g, '$1'));
  }
  const id = values.get('ID');
  if (!id) return { path, kind: 'os-release', warning: 'no ID' };
  return {
    path,
    kind: 'os-release',
    os: defined<OsRelease>({
      id: id.toLowerCase(),
      versionId: values.get('VERSION_ID'),
      codename: values.get('VERSION_CODENAME'),
    }),
  };
}
