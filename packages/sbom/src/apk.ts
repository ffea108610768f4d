import { defined, type FileFindings, type FoundPackage } from './found-package.js';

/** Alpine's `lib/apk/db/installed`: paragraphs of `K:value` lines (P name, V version, A arch, L license, ...). */
export function parseApkInstalled(path: string, bytes: Uint8Array): FileFindings {
  const found: FoundPackage[] = [];
  let f = new Map<string, string>();
  const flush = () => {
    const name = f.get('P');
    const version = f.get('V');
    if (name !== undefined && version !== undefined) {
      const origin = f.get('o');
      found.push(
        defined<FoundPackage>({
          ecosystem: 'apk',
          name,
          version,
          arch: f.get('A'),
          license: f.get('L'),
          source: origin !== undefined && origin !== name ? origin : undefined,
          description: f.get('T'),
          homepage: f.get('U'),
          supplier: f.get('m'),
        }),
      );
    }
    f = new Map();
  };
  for (const line of new TextDecoder().decode(bytes).split('\n')) {
    if (line.trim() === '') {
      flush();
      continue;
    }
    // Only the package's own fields: file entries (F, R, Z, ...) repeat and are not needed.
    if (line[1] === ':' && !f.has(line[0] as string)) f.set(line[0] as string, line.slice(2).trim());
  }
  flush();
  return { path, kind: 'apk-installed', packages: found };
}
