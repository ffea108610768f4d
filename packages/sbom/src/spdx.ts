import { createHash } from 'node:crypto';
import type { ImageInventory, ImagePackage } from './merge.js';
import { type SpdxLicense, spdxLicense } from './spdx-expression.js';

export interface SpdxOptions {
  /** The document's name (BuildKit's scanner names the image's document `sbom`). */
  readonly name?: string;
  /** When the SBOM was made: the build's time, or SOURCE_DATE_EPOCH for a reproducible document. */
  readonly created: Date;
  /** SPDX creators, e.g. `Tool: lading-0.1.0`. */
  readonly creators: readonly string[];
  /** A unique URI for the document; by default one made from its content, so equal inputs give equal bytes. */
  readonly namespace?: string;
}

const noAssertion = 'NOASSERTION';

const sourceInfo: Record<ImagePackage['kind'], string> = {
  'npm-package': 'acquired package info from installed node module manifest file',
  'npm-lock': 'acquired package info from package-lock.json',
  'yarn-lock': 'acquired package info from yarn.lock',
  'dpkg-status': 'acquired package info from DPKG DB',
  'dpkg-copyright': 'acquired package info from DPKG DB',
  'apk-installed': 'acquired package info from APK DB',
  'python-metadata': 'acquired package info from installed python package manifest file',
  'os-release': 'acquired package info from os-release',
};

/** SPDX's actor form: `Person: name (email)` from `name <email>`. */
function actor(who: string | undefined): string | undefined {
  if (who === undefined || who.trim() === '') return undefined;
  const m = /^(.*?)\s*<([^>]*)>\s*$/.exec(who.trim());
  return m ? `Person: ${m[1] || m[2]} (${m[2]})` : `Person: ${who.trim()}`;
}

function idPart(s: string): string {
  return s.replace(/[^A-Za-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '') || 'x';
}

/** A UUID-shaped string (version 4 bits set) from a digest: a namespace that is unique yet reproducible. */
function uuidFrom(hex: string): string {
  const h = `${hex.slice(0, 12)}4${hex.slice(13, 16)}${((Number.parseInt(hex[16] ?? '0', 16) & 3) | 8).toString(16)}${hex.slice(17, 32)}`;
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** SPDX's time form: seconds, UTC (`2024-01-02T03:04:05Z`). */
function spdxTime(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}

/**
 * The inventory as an SPDX 2.3 JSON document, in the member order BuildKit writes (spdx/tools-golang's structs):
 * one package per found package with its version, declared license (LicenseRefs listed in
 * hasExtractedLicensingInfos), supplier or originator, and its package URL as a PACKAGE-MANAGER external ref; the
 * document DESCRIBES each package. Files are not listed (filesAnalyzed false).
 */
export function encodeSpdxDocument(inventory: ImageInventory, options: SpdxOptions): Uint8Array {
  const name = options.name ?? 'sbom';
  const extracted = new Map<string, string>();
  const declared = (p: ImagePackage): string => {
    if (p.licenses.length === 0) return noAssertion;
    const parts = p.licenses.map((l) => {
      const s: SpdxLicense = spdxLicense(l);
      if ('ref' in s) {
        extracted.set(s.ref, s.text);
        return s.ref;
      }
      return s.expression;
    });
    const unique = [...new Set(parts)];
    if (unique.length === 1) return unique[0] as string;
    return unique.map((e) => (/\s/.test(e) && !e.startsWith('(') ? `(${e})` : e)).join(' AND ');
  };
  const ids = new Set<string>();
  const packages = inventory.packages.map((p) => {
    const hash = createHash('sha256')
      .update(p.purl ?? `${p.ecosystem}/${p.name}@${p.version} ${p.foundIn}`)
      .digest('hex')
      .slice(0, 16);
    let id = `SPDXRef-Package-${p.ecosystem}-${idPart(p.name)}-${hash}`;
    while (ids.has(id)) id += '-1';
    ids.add(id);
    const supplier = actor(p.supplier);
    const originator = actor(p.originator);
    return {
      name: p.name,
      SPDXID: id,
      versionInfo: p.version,
      ...(supplier !== undefined ? { supplier } : {}),
      ...(originator !== undefined ? { originator } : {}),
      downloadLocation: noAssertion,
      filesAnalyzed: false,
      ...(p.homepage !== undefined && /^https?:\/\//.test(p.homepage) ? { homepage: p.homepage } : {}),
      sourceInfo: `${sourceInfo[p.kind]}: ${p.foundIn}`,
      licenseConcluded: noAssertion,
      licenseDeclared: declared(p),
      copyrightText: noAssertion,
      ...(p.description !== undefined ? { description: p.description } : {}),
      ...(p.purl !== undefined
        ? {
            externalRefs: [
              { referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: p.purl },
            ],
          }
        : {}),
    };
  });
  const created = spdxTime(options.created);
  const namespace =
    options.namespace ??
    `https://lading.dev/spdx/${idPart(name)}-${uuidFrom(
      createHash('sha256')
        .update(`${created}\n${packages.map((p) => `${p.SPDXID}\n`).join('')}`)
        .digest('hex'),
    )}`;
  const doc = {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name,
    documentNamespace: namespace,
    creationInfo: { creators: [...options.creators], created },
    ...(packages.length > 0 ? { packages } : {}),
    ...(extracted.size > 0
      ? {
          hasExtractedLicensingInfos: [...extracted].map(([licenseId, extractedText]) => ({
            licenseId,
            extractedText,
          })),
        }
      : {}),
    ...(packages.length > 0
      ? {
          relationships: packages.map((p) => ({
            spdxElementId: 'SPDXRef-DOCUMENT',
            relatedSpdxElement: p.SPDXID,
            relationshipType: 'DESCRIBES',
          })),
        }
      : {}),
  };
  return new TextEncoder().encode(JSON.stringify(doc));
}
