import { describe, expect, it } from 'vitest';
import {
  encodeSpdxDocument,
  type LayerFindings,
  LayerScanner,
  mergeLayerFindings,
  metadataKind,
  packageUrl,
  parseApkInstalled,
  parseNpmLock,
  parsePythonMetadata,
  parseYarnLock,
  spdxLicense,
} from './index.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('which paths the SBOM reads', () => {
  it('picks package metadata by name alone', () => {
    expect(metadataKind('usr/lib/node_modules/npm/package.json')).toBe('npm-package');
    expect(metadataKind('app/node_modules/@scope/pkg/package.json')).toBe('npm-package');
    expect(metadataKind('app/node_modules/a/node_modules/b/package.json')).toBe('npm-package');
    expect(metadataKind('app/node_modules/.pnpm/a@1.0.0/node_modules/a/package.json')).toBe('npm-package');
    // Not a package's manifest: a file inside one, the project's own, a lockfile shipped inside a package.
    expect(metadataKind('app/node_modules/a/lib/package.json')).toBeUndefined();
    expect(metadataKind('app/package.json')).toBeUndefined();
    expect(metadataKind('app/node_modules/a/package-lock.json')).toBeUndefined();
    expect(metadataKind('app/package-lock.json')).toBe('npm-lock');
    expect(metadataKind('app/node_modules/.package-lock.json')).toBe('npm-lock');
    expect(metadataKind('app/yarn.lock')).toBe('yarn-lock');
    expect(metadataKind('var/lib/dpkg/status')).toBe('dpkg-status');
    expect(metadataKind('var/lib/dpkg/status.d/libc6')).toBe('dpkg-status');
    expect(metadataKind('var/lib/dpkg/status.d/libc6.md5sums')).toBeUndefined();
    expect(metadataKind('usr/share/doc/bash/copyright')).toBe('dpkg-copyright');
    expect(metadataKind('lib/apk/db/installed')).toBe('apk-installed');
    expect(metadataKind('usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA')).toBe(
      'python-metadata',
    );
    expect(metadataKind('etc/os-release')).toBe('os-release');
    expect(metadataKind('srv/var/lib/dpkg/status')).toBeUndefined();
  });
});

describe('package URLs as the purl specification writes them', () => {
  // Canonical forms from the purl specification's test suite and type definitions (tests/types/*.json).
  it('encodes each component and sorts the qualifiers', () => {
    expect(
      packageUrl(
        { ecosystem: 'deb', name: 'attr', version: '1:2.4.47-2+b1', arch: 'amd64' },
        { id: 'debian' },
      ),
    ).toBe('pkg:deb/debian/attr@1:2.4.47-2%2Bb1?arch=amd64');
    expect(packageUrl({ ecosystem: 'npm', name: '@angular/animation', version: '12.3.1' })).toBe(
      'pkg:npm/%40angular/animation@12.3.1',
    );
    expect(packageUrl({ ecosystem: 'pypi', name: 'Django_Allauth', version: '12.23' })).toBe(
      'pkg:pypi/django-allauth@12.23',
    );
    expect(
      packageUrl({ ecosystem: 'apk', name: 'curl', version: '7.83.0-r0', arch: 'x86' }, { id: 'alpine' }),
    ).toBe('pkg:apk/alpine/curl@7.83.0-r0?arch=x86');
    expect(
      packageUrl(
        { ecosystem: 'apk', name: 'busybox-binsh', version: '1.36.1-r15', arch: 'x86_64', source: 'busybox' },
        { id: 'alpine', versionId: '3.19.1' },
      ),
    ).toBe('pkg:apk/alpine/busybox-binsh@1.36.1-r15?arch=x86_64&distro=alpine-3.19.1&upstream=busybox');
  });
});

describe('catalogers', () => {
  it("Alpine's installed database", () => {
    const db = `C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\nS:383152\nL:MIT\no:musl\nm:Someone <a@b>\nT:the musl c library\nF:lib\nR:ld-musl-x86_64.so.1\n\nP:busybox-binsh\nV:1.36.1-r15\nA:x86_64\nL:GPL-2.0-only\no:busybox\n`;
    const f = parseApkInstalled('lib/apk/db/installed', enc(db));
    expect(f.packages).toEqual([
      {
        ecosystem: 'apk',
        name: 'musl',
        version: '1.2.4-r2',
        arch: 'x86_64',
        license: 'MIT',
        description: 'the musl c library',
        supplier: 'Someone <a@b>',
      },
      {
        ecosystem: 'apk',
        name: 'busybox-binsh',
        version: '1.36.1-r15',
        arch: 'x86_64',
        license: 'GPL-2.0-only',
        source: 'busybox',
      },
    ]);
  });

  it("Python's METADATA: License-Expression first, a long License text never", () => {
    const meta = `Metadata-Version: 2.1\nName: Requests\nVersion: 2.31.0\nSummary: HTTP for Humans.\nLicense: Apache 2.0\n   and a second line\nClassifier: License :: OSI Approved :: Apache Software License\n\nbody`;
    expect(parsePythonMetadata('x.dist-info/METADATA', enc(meta)).packages?.[0]).toMatchObject({
      name: 'Requests',
      version: '2.31.0',
      license: 'Apache Software License',
      description: 'HTTP for Humans.',
    });
    const pep639 = 'Name: x\nVersion: 1\nLicense-Expression: MIT OR Apache-2.0\nLicense: whatever\n';
    expect(parsePythonMetadata('x.dist-info/METADATA', enc(pep639)).packages?.[0]?.license).toBe(
      'MIT OR Apache-2.0',
    );
  });

  it('npm lockfiles v1 and v3, yarn classic and berry', () => {
    const v3 = JSON.stringify({
      lockfileVersion: 3,
      packages: {
        '': { name: 'root', version: '1.0.0' },
        'node_modules/ms': { version: '2.1.3', license: 'MIT' },
        'node_modules/debug/node_modules/ms': { version: '2.0.0' },
        'node_modules/alias': { name: 'real-name', version: '1.0.0' },
        'node_modules/linked': { resolved: 'packages/linked', link: true },
        'packages/linked': { name: 'linked', version: '0.0.1' },
      },
    });
    expect(parseNpmLock('package-lock.json', enc(v3)).packages).toEqual([
      { ecosystem: 'npm', name: 'ms', version: '2.1.3', license: 'MIT' },
      { ecosystem: 'npm', name: 'ms', version: '2.0.0' },
      { ecosystem: 'npm', name: 'real-name', version: '1.0.0' },
    ]);
    const v1 = JSON.stringify({
      lockfileVersion: 1,
      dependencies: { a: { version: '1.0.0', dependencies: { b: { version: '2.0.0' } } } },
    });
    expect(parseNpmLock('package-lock.json', enc(v1)).packages?.map((p) => `${p.name}@${p.version}`)).toEqual(
      ['a@1.0.0', 'b@2.0.0'],
    );
    const classic = `# yarn lockfile v1\n\n"@babel/code-frame@^7.0.0", "@babel/code-frame@^7.10.4":\n  version "7.12.13"\n  resolved "https://x"\n\nms@^2.1.1:\n  version "2.1.3"\n`;
    const berry = `__metadata:\n  version: 6\n\n"ms@npm:^2.1.1":\n  version: 2.1.3\n  resolution: "ms@npm:2.1.3"\n\n"app@workspace:.":\n  version: 0.0.0-use.local\n`;
    expect(parseYarnLock('yarn.lock', enc(classic)).packages?.map((p) => `${p.name}@${p.version}`)).toEqual([
      '@babel/code-frame@7.12.13',
      'ms@2.1.3',
    ]);
    expect(parseYarnLock('yarn.lock', enc(berry)).packages?.map((p) => `${p.name}@${p.version}`)).toEqual([
      'ms@2.1.3',
    ]);
  });

  it('a malformed package.json is a warning, not a failure', () => {
    const s = new LayerScanner();
    s.add('node_modules/a/package.json', 'npm-package', enc('{"name": "a", '));
    const inv = mergeLayerFindings([s.findings()]);
    expect(inv.packages).toEqual([]);
    expect(inv.warnings).toEqual(['/node_modules/a/package.json: not a JSON object']);
  });
});

describe('the image is what the layers make', () => {
  const layer = (files: Record<string, string>, deleted: string[] = []): LayerFindings => {
    const s = new LayerScanner();
    for (const d of deleted) s.wants(d, 'file', 0);
    for (const [path, version] of Object.entries(files))
      s.add(path, 'npm-package', enc(JSON.stringify({ name: path.split('/').at(-2), version })));
    return s.findings();
  };

  it('a higher layer replaces a file, a whiteout removes a tree, an opaque directory hides what is below', () => {
    const inv = mergeLayerFindings([
      layer({
        'a/node_modules/x/package.json': '1.0.0',
        'a/node_modules/y/package.json': '1.0.0',
        'b/node_modules/z/package.json': '1.0.0',
        'c/node_modules/w/package.json': '1.0.0',
      }),
      layer({ 'a/node_modules/x/package.json': '2.0.0' }, [
        'a/node_modules/.wh.y',
        'b/.wh..wh..opq',
        '.wh.c',
      ]),
    ]);
    expect(inv.packages.map((p) => `${p.name}@${p.version} layer ${p.layer}`)).toEqual(['x@2.0.0 layer 1']);
  });

  it("licenses outside SPDX's list become LicenseRefs the document defines", () => {
    expect(spdxLicense('MIT')).toEqual({ expression: 'MIT' });
    expect(spdxLicense('(MIT OR Apache-2.0)')).toEqual({ expression: '(MIT OR Apache-2.0)' });
    expect(spdxLicense('MIT BSD-3-Clause')).toEqual({ expression: 'MIT AND BSD-3-Clause' });
    const ref = spdxLicense('SEE LICENSE IN LICENSE.md');
    expect(ref).toMatchObject({ text: 'SEE LICENSE IN LICENSE.md' });
    expect('ref' in ref && /^LicenseRef-[A-Za-z0-9.-]+$/.test(ref.ref)).toBe(true);
    const s = new LayerScanner();
    s.add(
      'node_modules/a/package.json',
      'npm-package',
      enc('{"name":"a","version":"1.0.0","license":"SEE LICENSE IN LICENSE.md"}'),
    );
    const doc = JSON.parse(
      new TextDecoder().decode(
        encodeSpdxDocument(mergeLayerFindings([s.findings()]), {
          created: new Date(0),
          creators: ['Tool: t'],
        }),
      ),
    );
    expect(doc.packages[0].licenseDeclared).toBe((ref as { ref: string }).ref);
    expect(doc.hasExtractedLicensingInfos).toEqual([
      { licenseId: (ref as { ref: string }).ref, extractedText: 'SEE LICENSE IN LICENSE.md' },
    ]);
  });

  it('equal inputs give equal documents (the namespace comes from the content)', () => {
    const inv = mergeLayerFindings([layer({ 'node_modules/x/package.json': '1.0.0' })]);
    const a = encodeSpdxDocument(inv, { created: new Date(0), creators: ['Tool: t'] });
    const b = encodeSpdxDocument(inv, { created: new Date(0), creators: ['Tool: t'] });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const other = encodeSpdxDocument(
      mergeLayerFindings([layer({ 'node_modules/x/package.json': '1.0.1' })]),
      { created: new Date(0), creators: ['Tool: t'] },
    );
    expect(JSON.parse(new TextDecoder().decode(other)).documentNamespace).not.toBe(
      JSON.parse(new TextDecoder().decode(a)).documentNamespace,
    );
  });
});
