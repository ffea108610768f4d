import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createMemoryStore } from '@lading/content-store';
import { buildLayer } from '@lading/layer';
import { inCI, makeTempDir, run, type TempDir } from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  encodeSpdxDocument,
  LayerScanner,
  mergeLayerFindings,
  scanLayerTar,
  treeObserver,
} from '../src/index.js';
import { spdxSchemaErrors } from './spdx-schema.js';

// The machine's own dpkg database is a real input; dpkg-query over the same file is the oracle.
const haveDpkg = (await run('sh', ['-c', 'command -v dpkg-query'], { allowFailure: true })).code === 0;
if (!haveDpkg && inCI) throw new Error('dpkg-query is needed for the Debian SBOM test (a Debian machine)');

let dir: TempDir;
let rootfs: string;
// Paragraphs in the states dpkg knows besides installed: purged ones are not listed, the others are.
const extra = `
Package: lading-purged
Status: purge ok not-installed
Priority: optional
Architecture: amd64

Package: lading-config-files
Status: deinstall ok config-files
Priority: optional
Architecture: amd64
Version: 1.0-1

Package: lading-half
Status: install reinstreq half-installed
Architecture: all
Source: lading-src (2.0)
Version: 2:2.0+dfsg-1~bpo1
Description: a package caught half way
 with a long description
`;

beforeAll(async () => {
  dir = await makeTempDir('lading-sbom-dpkg-');
  rootfs = join(dir.path, 'rootfs');
  await mkdir(join(rootfs, 'var/lib/dpkg'), { recursive: true });
  await mkdir(join(rootfs, 'etc'), { recursive: true });
  const status = await readFile('/var/lib/dpkg/status', 'utf8');
  await writeFile(join(rootfs, 'var/lib/dpkg/status'), `${status.trimEnd()}\n${extra}`);
  await copyFile('/etc/os-release', join(rootfs, 'etc/os-release'));
  // A machine-readable copyright file gives the package its licenses.
  const first = /^Package: (\S+)$/m.exec(status)?.[1] as string;
  await mkdir(join(rootfs, 'usr/share/doc', first), { recursive: true });
  await writeFile(
    join(rootfs, 'usr/share/doc', first, 'copyright'),
    'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nCopyright: someone\nLicense: GPL-2.0-or-later\n\nFiles: debian/*\nLicense: MIT\n',
  );
});
afterAll(async () => dir?.cleanup());

describe.runIf(haveDpkg)('the SBOM of a Debian rootfs', () => {
  it('lists what dpkg-query -W lists on its status file, with Debian package URLs', async () => {
    const store = createMemoryStore();
    const scanner = new LayerScanner();
    const layer = await buildLayer(rootfs, store, { observe: treeObserver(scanner) });
    const inventory = mergeLayerFindings([scanner.findings()]);
    const debs = inventory.packages.filter((p) => p.ecosystem === 'deb');
    const { stdout } = await run('dpkg-query', [
      `--admindir=${join(rootfs, 'var/lib/dpkg')}`,
      '-W',
      '-f',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own field syntax
      '${Package}\t${Version}\t${Architecture}\n',
    ]);
    const oracle = stdout.trim().split('\n').sort();
    expect(oracle.length).toBeGreaterThan(50);
    expect(debs.map((p) => `${p.name}\t${p.version}\t${p.arch ?? ''}`).sort()).toEqual(oracle);

    const osRelease = await readFile('/etc/os-release', 'utf8');
    const id = /^ID=(.*)$/m.exec(osRelease)?.[1]?.replace(/"/g, '');
    const versionId = /^VERSION_ID=(.*)$/m.exec(osRelease)?.[1]?.replace(/"/g, '');
    const half = debs.find((p) => p.name === 'lading-half');
    expect(half?.purl).toBe(
      `pkg:deb/${id}/lading-half@2:2.0%2Bdfsg-1~bpo1?arch=all&distro=${id}-${versionId}&upstream=lading-src`,
    );
    expect(half?.description).toBe('a package caught half way');
    const withCopyright = debs.find((p) => p.licenses.length > 0);
    expect(withCopyright?.licenses).toEqual(['GPL-2.0-or-later', 'MIT']);

    // The layer's tar gives the same.
    expect(mergeLayerFindings([await scanLayerTar(store.read(layer.descriptor))]).packages).toEqual(
      inventory.packages,
    );
    const doc = JSON.parse(
      new TextDecoder().decode(
        encodeSpdxDocument(inventory, { created: new Date(), creators: ['Tool: lading-test'] }),
      ),
    );
    expect(spdxSchemaErrors(doc)).toEqual([]);
    const declared = doc.packages.find((p: { name: string }) => p.name === withCopyright?.name);
    expect(declared.licenseDeclared).toBe('GPL-2.0-or-later AND MIT');
  });
});
