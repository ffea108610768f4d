// What the attestation tests share: a Debian-like base image (this machine's dpkg database) and an app with an
// installed npm tree, exported once per test file; the SPDX 2.3 schema. Exported bindings are live.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Descriptor as LadingDescriptor } from '@lading/digest';
import { makeTempDir, run, type TempDir } from '@lading/testkit';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, expect } from 'vitest';
import { lading } from './helpers.js';

// The SPDX 2.3 JSON schema fixture of @lading/sbom (its source is named beside it).
export const spdxSchema = JSON.parse(
  readFileSync(new URL('../../../packages/sbom/test/fixtures/spdx-schema-2.3.json', import.meta.url), 'utf8'),
);
export const validateSpdx = new Ajv({ allErrors: true, strict: false }).compile(spdxSchema);

export const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
export const platformId = `linux/${process.arch === 'x64' ? 'amd64' : process.arch}`;

export let dir: TempDir;
export const env = () => ({
  LADING_STORE: join(dir.path, 'store'),
  LADING_MOBY_ROOT: join(dir.path, 'moby'),
});
export let base: string;
export let app: string;

// A packaged installed npm tree (as `npm install` leaves it) and a Debian-like base image (the machine's own dpkg
// database and os-release).
async function writeFixtures(): Promise<void> {
  const baseRoot = join(dir.path, 'base-rootfs');
  await mkdir(join(baseRoot, 'var/lib/dpkg'), { recursive: true });
  await mkdir(join(baseRoot, 'etc'), { recursive: true });
  await copyFile('/var/lib/dpkg/status', join(baseRoot, 'var/lib/dpkg/status'));
  await copyFile('/etc/os-release', join(baseRoot, 'etc/os-release'));
  const r = await lading(
    ['export', baseRoot, '-o', `type=oci,tar=false,dest=${join(dir.path, 'base')}`, '-t', 'base:1'],
    {
      env: env(),
    },
  );
  expect(r.code, r.stderr).toBe(0);
  base = `oci:${join(dir.path, 'base')}:1`;
  app = join(dir.path, 'app');
  const pkg = async (path: string, json: object) => {
    await mkdir(join(app, path), { recursive: true });
    await writeFile(join(app, path, 'package.json'), JSON.stringify(json));
  };
  await pkg('srv/node_modules/left-pad', { name: 'left-pad', version: '1.3.0', license: 'WTFPL' });
  await pkg('srv/node_modules/@scope/thing', { name: '@scope/thing', version: '2.0.0', license: 'MIT' });
  await pkg('srv/node_modules/@scope/thing/node_modules/left-pad', { name: 'left-pad', version: '1.1.0' });
  await writeFile(join(app, 'srv/server.js'), 'console.log("hi")\n');
}

/** Writes the fixtures before the file's tests (the bindings above are live), removes them after. */
export function useAttestFixture(): void {
  beforeAll(async () => {
    dir = await makeTempDir('lading-attest-');
    await writeFixtures();
  }, 120_000);
  afterAll(async () => dir?.cleanup());
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { os: string; architecture: string };
}
export interface Statement {
  _type: string;
  predicateType: string;
  subject: { name: string; digest: { sha256: string } }[];
  predicate: Record<string, unknown> & {
    packages?: { name: string; versionInfo: string; externalRefs?: { referenceLocator: string }[] }[];
  };
}

/** dpkg-query's own listing of the base fixture's packages, as `name@version`. */
export async function dpkgPackages(): Promise<string[]> {
  const { stdout } = await run('dpkg-query', [
    `--admindir=${join(dir.path, 'base-rootfs/var/lib/dpkg')}`,
    '-W',
    '-f',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own field syntax
    '${Package}@${Version}\\n',
  ]);
  return stdout.trim().split('\n').sort();
}

/** The first root named in a layout's index.json. */
export async function rootOf(layout: string): Promise<LadingDescriptor> {
  return (JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: LadingDescriptor[] })
    .manifests[0] as LadingDescriptor;
}
