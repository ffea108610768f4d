import type { MetadataKind } from './found-package.js';

// node_modules/NAME/package.json or node_modules/@SCOPE/NAME/package.json, at any depth (nested, pnpm's .pnpm).
const npmPackage = /(?:^|\/)node_modules\/(?:@[^/]+\/)?[^/.@][^/]*\/package\.json$/;
const npmLock = /(?:^|\/)(?:package-lock\.json|npm-shrinkwrap\.json|node_modules\/\.package-lock\.json)$/;
const yarnLock = /(?:^|\/)yarn\.lock$/;
const inPackage = /(?:^|\/)node_modules\/(?!\.package-lock\.json$)/;
const dpkgStatus = /^var\/lib\/dpkg\/(?:status|status\.d\/[^/]+)$/;
const dpkgCopyright = /^usr\/share\/doc\/[^/]+\/copyright$/;
const apkInstalled = /^lib\/apk\/db\/installed$/;
const pythonMetadata = /(?:^|\/)[^/]+\.dist-info\/METADATA$|(?:^|\/)[^/]+\.egg-info\/PKG-INFO$/;
const osRelease = /^(?:etc|usr\/lib)\/os-release$/;

/** Metadata files larger than this are not read (a status file of a large Debian system is a few MiB). */
export const maxMetadataBytes = 32 << 20;

/**
 * The kind of package metadata a path inside a layer holds (`usr/lib/node_modules/npm/package.json`), or
 * undefined for every other path: a test on the name alone, so the walk that builds a layer stays cheap.
 */
export function metadataKind(path: string): MetadataKind | undefined {
  const last = path.slice(path.lastIndexOf('/') + 1);
  switch (last) {
    case 'package.json':
      return npmPackage.test(path) ? 'npm-package' : undefined;
    case 'package-lock.json':
    case 'npm-shrinkwrap.json':
    case '.package-lock.json':
      // A lockfile inside an installed package is that package's own, not what this image installed.
      if (!npmLock.test(path)) return undefined;
      return last !== '.package-lock.json' && inPackage.test(path) ? undefined : 'npm-lock';
    case 'yarn.lock':
      return yarnLock.test(path) && !inPackage.test(path) ? 'yarn-lock' : undefined;
    case 'status':
      return dpkgStatus.test(path) ? 'dpkg-status' : undefined;
    case 'copyright':
      return dpkgCopyright.test(path) ? 'dpkg-copyright' : undefined;
    case 'installed':
      return apkInstalled.test(path) ? 'apk-installed' : undefined;
    case 'METADATA':
    case 'PKG-INFO':
      return pythonMetadata.test(path) ? 'python-metadata' : undefined;
    case 'os-release':
      return osRelease.test(path) ? 'os-release' : undefined;
    default:
      // distroless keeps one status file per package in status.d (beside their .md5sums).
      return path.startsWith('var/lib/dpkg/status.d/') && dpkgStatus.test(path) && !last.endsWith('.md5sums')
        ? 'dpkg-status'
        : undefined;
  }
}
