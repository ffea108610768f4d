/** The package ecosystems the SBOM knows, by their package-URL type. */
export type Ecosystem = 'npm' | 'deb' | 'apk' | 'pypi';

/** One package found in a metadata file of the image, as that file declares it. */
export interface FoundPackage {
  readonly ecosystem: Ecosystem;
  readonly name: string;
  readonly version: string;
  /** The license as declared (an SPDX expression or free text), when the metadata names one. */
  readonly license?: string;
  readonly arch?: string;
  /** The source package it was built from, when it differs from the name (Debian's Source, Alpine's origin). */
  readonly source?: string;
  readonly description?: string;
  readonly homepage?: string;
  /** Who distributes it (a Debian or Alpine maintainer), as written. */
  readonly supplier?: string;
  /** Who made it (an npm or Python author), as written. */
  readonly originator?: string;
}

/** What a metadata file of the OS tells: os-release's ID, VERSION_ID and VERSION_CODENAME. */
export interface OsRelease {
  readonly id: string;
  readonly versionId?: string;
  readonly codename?: string;
}

/** The kinds of file the SBOM reads. */
export type MetadataKind =
  | 'npm-package'
  | 'npm-lock'
  | 'yarn-lock'
  | 'dpkg-status'
  | 'dpkg-copyright'
  | 'apk-installed'
  | 'python-metadata'
  | 'os-release';

/** What one metadata file of a layer yielded: packages, the OS, or (Debian's copyright files) a license. */
export interface FileFindings {
  readonly path: string;
  readonly kind: MetadataKind;
  readonly packages?: readonly FoundPackage[];
  readonly os?: OsRelease;
  /** dpkg-copyright: the licenses the file declares, for the package its directory is named after. */
  readonly licenses?: readonly string[];
  /** Why the file yielded nothing (not JSON, no name), for a debug line; never an error. */
  readonly warning?: string;
}

/** The object with its undefined members left out (exactOptionalPropertyTypes). */
export function defined<T extends object>(value: { [K in keyof T]: T[K] | undefined }): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined && v !== '') out[k] = v;
  return out as T;
}
