import { readFileSync } from 'node:fs';
import type { TreeEntry } from '@lading/layer';
import { parseApkInstalled } from './apk.js';
import { parseDpkgCopyright, parseDpkgStatus } from './dpkg.js';
import type { FileFindings, MetadataKind } from './found-package.js';
import { maxMetadataBytes, metadataKind } from './metadata-paths.js';
import { parseNpmLock, parseNpmPackageJson, parseYarnLock } from './npm.js';
import { parseOsRelease } from './os-release.js';
import { parsePythonMetadata } from './python.js';

/** What one layer holds for the SBOM: its package metadata files (parsed) and what it deletes from the layers below. */
export interface LayerFindings {
  readonly version: 1;
  readonly files: readonly FileFindings[];
  /** Paths a whiteout (`.wh.NAME`) removes, with everything under them. */
  readonly whiteouts: readonly string[];
  /** Directories an opaque whiteout (`.wh..wh..opq`) empties of everything below. */
  readonly opaques: readonly string[];
}

const whiteoutPrefix = '.wh.';
const opaqueMarker = '.wh..wh..opq';

/** Parses one metadata file by its kind. */
export function parseMetadataFile(path: string, kind: MetadataKind, bytes: Uint8Array): FileFindings {
  switch (kind) {
    case 'npm-package':
      return parseNpmPackageJson(path, bytes);
    case 'npm-lock':
      return parseNpmLock(path, bytes);
    case 'yarn-lock':
      return parseYarnLock(path, bytes);
    case 'dpkg-status':
      return parseDpkgStatus(path, bytes);
    case 'dpkg-copyright':
      return parseDpkgCopyright(path, bytes);
    case 'apk-installed':
      return parseApkInstalled(path, bytes);
    case 'python-metadata':
      return parsePythonMetadata(path, bytes);
    case 'os-release':
      return parseOsRelease(path, bytes);
  }
}

/** A layer entry's name as a clean relative path: no `./` or `/` in front, no `/` behind. */
export function normalizeEntryName(name: string): string {
  let n = name;
  while (n.startsWith('./')) n = n.slice(2);
  while (n.startsWith('/')) n = n.slice(1);
  while (n.endsWith('/')) n = n.slice(0, -1);
  return n;
}

/**
 * Collects the SBOM's view of one layer, entry by entry: whiteouts by name, and the metadata files (picked by
 * name, read only when small). Fed by the walk that builds a layer (`treeObserver`) or by a layer tar's entries.
 */
export class LayerScanner {
  readonly #files = new Map<string, FileFindings>();
  readonly #whiteouts: string[] = [];
  readonly #opaques: string[] = [];

  /**
   * Notes a whiteout, and tells whether the entry is a metadata file whose bytes `add` wants (a regular file no
   * larger than the cap).
   */
  wants(name: string, type: string, size: number): MetadataKind | undefined {
    const slash = name.lastIndexOf('/');
    const base = name.slice(slash + 1);
    if (base.startsWith(whiteoutPrefix)) {
      const dir = slash >= 0 ? name.slice(0, slash) : '';
      if (base === opaqueMarker) this.#opaques.push(dir);
      else this.#whiteouts.push(dir === '' ? base.slice(4) : `${dir}/${base.slice(4)}`);
      return undefined;
    }
    if (type !== 'file' || size > maxMetadataBytes) return undefined;
    return metadataKind(name);
  }

  add(name: string, kind: MetadataKind, bytes: Uint8Array): void {
    this.#files.set(name, parseMetadataFile(name, kind, bytes));
  }

  /** Noted when a wanted file could not be read (it went away while the tree was walked). */
  skip(name: string, kind: MetadataKind, reason: string): void {
    this.#files.set(name, { path: name, kind, warning: reason });
  }

  findings(): LayerFindings {
    return {
      version: 1,
      files: [...this.#files.values()],
      whiteouts: [...this.#whiteouts],
      opaques: [...this.#opaques],
    };
  }
}

/**
 * An observer for `@lading/layer`'s tar walk (`TarOptions.observe`): each entry's name goes to the scanner, and
 * the few metadata files it wants are read there and then, while the tree is walked once.
 */
export function treeObserver(scanner: LayerScanner): (name: string, entry: TreeEntry) => void {
  return (name, entry) => {
    const kind = scanner.wants(name, entry.type, entry.size);
    if (kind === undefined) return;
    try {
      scanner.add(name, kind, readFileSync(entry.abs));
    } catch (error) {
      scanner.skip(name, kind, `cannot read it: ${(error as Error).message}`);
    }
  };
}
