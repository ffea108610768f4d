import { copyrightPackage } from './dpkg.js';
import type { FileFindings, FoundPackage, OsRelease } from './found-package.js';
import type { LayerFindings } from './layer-scanner.js';
import { packageUrl } from './purl.js';

/** A package of the image: what its metadata declares, where it was found, and its package URL. */
export interface ImagePackage extends Omit<FoundPackage, 'license'> {
  /** The licenses declared (one for most; a Debian copyright file may name several), as written. */
  readonly licenses: readonly string[];
  /** The metadata file it came from, as a path in the image (`/usr/lib/node_modules/npm/package.json`). */
  readonly foundIn: string;
  readonly kind: FileFindings['kind'];
  /** Which layer (0 = the lowest) holds that file. */
  readonly layer: number;
  readonly purl?: string;
}

export interface ImageInventory {
  readonly os?: OsRelease;
  /** Each package once (by package URL), sorted by ecosystem, name and version. */
  readonly packages: readonly ImagePackage[];
  /** Metadata files that yielded nothing, and why. */
  readonly warnings: readonly string[];
}

const under = (path: string, dir: string) => dir === '' || path === dir || path.startsWith(`${dir}/`);

/**
 * The packages of the image the layers make, as its final filesystem has them: a file a higher layer holds
 * replaces the one below, a whiteout removes a path and what is under it, an opaque directory hides what the
 * layers below put in it. Installed npm packages win over lockfile entries of the same package URL.
 */
export function mergeLayerFindings(layers: readonly LayerFindings[]): ImageInventory {
  const files = new Map<string, { findings: FileFindings; layer: number }>();
  layers.forEach((l, layer) => {
    if (l.whiteouts.length > 0 || l.opaques.length > 0) {
      for (const path of [...files.keys()]) {
        if (l.whiteouts.some((w) => under(path, w)) || l.opaques.some((o) => path !== o && under(path, o)))
          files.delete(path);
      }
    }
    for (const f of l.files) files.set(f.path, { findings: f, layer });
  });
  const present = [...files.values()];
  const osOf = (path: string) => present.find((f) => f.findings.path === path)?.findings.os;
  const os = osOf('etc/os-release') ?? osOf('usr/lib/os-release');
  const debLicenses = new Map<string, readonly string[]>();
  for (const { findings } of present) {
    if (findings.kind === 'dpkg-copyright' && findings.licenses && findings.licenses.length > 0)
      debLicenses.set(copyrightPackage(findings.path), findings.licenses);
  }
  const warnings: string[] = [];
  const byPurl = new Map<string, ImagePackage>();
  // Installed packages (package.json, status files) before lockfile entries, so the installed one is kept.
  const rank = (k: FileFindings['kind']) => (k === 'npm-lock' || k === 'yarn-lock' ? 1 : 0);
  present.sort(
    (a, b) => rank(a.findings.kind) - rank(b.findings.kind) || (a.findings.path < b.findings.path ? -1 : 1),
  );
  for (const { findings, layer } of present) {
    if (findings.warning !== undefined) warnings.push(`/${findings.path}: ${findings.warning}`);
    for (const p of findings.packages ?? []) {
      const purl = packageUrl(p, os);
      const declared =
        p.license !== undefined ? [p.license] : p.ecosystem === 'deb' ? (debLicenses.get(p.name) ?? []) : [];
      const key = purl ?? `${p.ecosystem}\0${p.name}\0${p.version}\0${findings.path}`;
      const known = byPurl.get(key);
      if (known !== undefined) {
        if (known.licenses.length === 0 && declared.length > 0)
          byPurl.set(key, { ...known, licenses: declared });
        continue;
      }
      const { license: _license, ...rest } = p;
      byPurl.set(key, {
        ...rest,
        licenses: declared,
        foundIn: `/${findings.path}`,
        kind: findings.kind,
        layer,
        ...(purl !== undefined ? { purl } : {}),
      });
    }
  }
  const packages = [...byPurl.values()].sort(
    (a, b) =>
      cmp(a.ecosystem, b.ecosystem) ||
      cmp(a.name, b.name) ||
      cmp(a.version, b.version) ||
      cmp(a.purl ?? '', b.purl ?? ''),
  );
  return { ...(os !== undefined ? { os } : {}), packages, warnings };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
