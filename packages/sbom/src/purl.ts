import type { FoundPackage, OsRelease } from './found-package.js';

/**
 * A purl component percent-encoded as the purl specification says: everything but the alphanumerics, `.-_~` and
 * the colon (`1:2.4.47-2+b1` becomes `1:2.4.47-2%2Bb1`, `linux/amd64` becomes `linux%2Famd64`). packageurl-js
 * leaves `+` as it is, which the specification's own tests refuse, so this is written out here.
 */
export function purlEncode(component: string): string {
  return encodeURIComponent(component)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%3A/g, ':');
}

export interface PackageUrlParts {
  readonly type: string;
  readonly namespace?: string;
  readonly name: string;
  readonly version?: string;
  readonly qualifiers?: Readonly<Record<string, string | undefined>>;
}

/** A package URL in canonical form: encoded segments, qualifiers with values, sorted by key. */
export function formatPackageUrl(p: PackageUrlParts): string {
  const ns = (p.namespace ?? '')
    .split('/')
    .filter((s) => s !== '')
    .map((s) => `${purlEncode(s)}/`)
    .join('');
  const qualifiers = Object.entries(p.qualifiers ?? {})
    .filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '')
    .map(([k, v]) => `${k.toLowerCase()}=${purlEncode(v)}`)
    .sort();
  return `pkg:${p.type}/${ns}${purlEncode(p.name)}${p.version ? `@${purlEncode(p.version)}` : ''}${qualifiers.length > 0 ? `?${qualifiers.join('&')}` : ''}`;
}

/** os-release's ID and version as syft writes the distro qualifier (`debian-12`, `alpine-3.19.1`). */
function distro(os: OsRelease | undefined): string | undefined {
  if (!os) return undefined;
  const v = os.versionId ?? os.codename;
  return v !== undefined ? `${os.id}-${v}` : undefined;
}

/**
 * A package's package URL, with each type's rules from the purl specification: npm keeps case and puts the scope
 * in the namespace (`pkg:npm/%40scope/name@1.0.0`); deb and apk are lowercased under the distribution's vendor
 * with arch, distro and upstream qualifiers (`pkg:deb/debian/bash@5.2.15-2?arch=amd64&distro=debian-12`); pypi
 * names are lowercased with `_` as `-` (`pkg:pypi/django-allauth@0.58.2`).
 */
export function packageUrl(p: FoundPackage, os?: OsRelease): string {
  switch (p.ecosystem) {
    case 'npm': {
      const slash = p.name.indexOf('/');
      const scoped = p.name.startsWith('@') && slash > 0;
      return formatPackageUrl({
        type: 'npm',
        ...(scoped ? { namespace: p.name.slice(0, slash) } : {}),
        name: scoped ? p.name.slice(slash + 1) : p.name,
        version: p.version,
      });
    }
    case 'deb':
    case 'apk':
      return formatPackageUrl({
        type: p.ecosystem,
        namespace: (os?.id ?? (p.ecosystem === 'deb' ? 'debian' : 'alpine')).toLowerCase(),
        name: p.name.toLowerCase(),
        version: p.version,
        qualifiers: { arch: p.arch, distro: distro(os), upstream: p.source },
      });
    case 'pypi':
      return formatPackageUrl({
        type: 'pypi',
        name: p.name.toLowerCase().replace(/_/g, '-'),
        version: p.version,
      });
  }
}
