import { controlParagraphs } from './control-file.js';
import { defined, type FileFindings, type FoundPackage } from './found-package.js';

/**
 * dpkg's status database (`var/lib/dpkg/status`, or distroless's `status.d/*`): every package dpkg-query lists,
 * that is every paragraph except those whose state is `not-installed` (purged). Paragraphs of status.d carry no
 * Status field and are installed.
 */
export function parseDpkgStatus(path: string, bytes: Uint8Array): FileFindings {
  const found: FoundPackage[] = [];
  for (const p of controlParagraphs(new TextDecoder().decode(bytes))) {
    const name = p.get('Package');
    const version = p.get('Version');
    if (name === undefined || version === undefined || name === '') continue;
    const state = (p.get('Status') ?? 'install ok installed').split(/\s+/)[2];
    if (state === 'not-installed') continue;
    const source = p.get('Source')?.split(/\s+/)[0];
    found.push(
      defined<FoundPackage>({
        ecosystem: 'deb',
        name,
        version,
        arch: p.get('Architecture'),
        source: source !== undefined && source !== name ? source : undefined,
        description: p.get('Description')?.split('\n')[0],
        homepage: p.get('Homepage'),
        supplier: p.get('Maintainer'),
      }),
    );
  }
  return { path, kind: 'dpkg-status', packages: found };
}

/**
 * A package's `usr/share/doc/NAME/copyright`: the `License:` fields of a machine-readable (DEP-5) file, each once,
 * in the order they appear. Debian declares licenses nowhere else.
 */
export function parseDpkgCopyright(path: string, bytes: Uint8Array): FileFindings {
  const licenses: string[] = [];
  for (const m of new TextDecoder().decode(bytes).matchAll(/^License:[ \t]*(\S[^\n]*?)[ \t]*$/gm)) {
    const l = m[1] as string;
    if (!licenses.includes(l)) licenses.push(l);
  }
  return { path, kind: 'dpkg-copyright', licenses };
}

/** The package a copyright file belongs to: its directory's name. */
export function copyrightPackage(path: string): string {
  const parts = path.split('/');
  return parts[parts.length - 2] ?? '';
}
