import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { openLocalStore } from '@lading/content-store';
import { MediaType } from '@lading/digest';
import { havePeers, type RunningRegistry, run, startRegistry } from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImageAttestations } from '../src/operations/index.js';
import {
  app,
  base,
  type Descriptor,
  dir,
  dpkgPackages,
  env,
  platformId,
  rootOf,
  type Statement,
  sha256,
  useAttestFixture,
  validateSpdx,
} from './attest-fixture.js';
import { lading } from './helpers.js';

useAttestFixture();

describe.runIf(havePeers('docker-registry', 'skopeo'))('attestations pushed to a registry', () => {
  let registry: RunningRegistry;
  beforeAll(async () => {
    registry = await startRegistry();
  }, 60_000);
  afterAll(async () => registry?.stop());

  /** A manifest or blob as the registry serves it, checked against its digest here. */
  async function fetchVerified(path: string, digest: string): Promise<Uint8Array> {
    const res = await fetch(`${registry.url}/v2/app/${path}/${digest}`, {
      headers: { accept: `${MediaType.ociManifest}, ${MediaType.ociIndex}` },
    });
    expect(res.status).toBe(200);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(sha256(bytes)).toBe(digest);
    return bytes;
  }

  it('skopeo inspects the index with its attestation manifest; the statements, read by hand, are BuildKit-shaped', async () => {
    const name = `${registry.host}/app:1`;
    const r = await lading(
      [
        'export',
        app,
        '--base',
        base,
        '--attest',
        'type=sbom',
        '--attest',
        'type=provenance,mode=max',
        '--label',
        'org.example=yes',
        '-o',
        `type=registry,name=${name},registry.insecure=true`,
      ],
      { env: env() },
    );
    expect(r.code, r.stderr).toBe(0);
    const raw = (await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${name}`])).stdout;
    const index = JSON.parse(raw) as { mediaType: string; manifests: Descriptor[] };
    expect(index.mediaType).toBe(MediaType.ociIndex);
    expect(index.manifests).toHaveLength(2);
    const [image, att] = index.manifests as [Descriptor, Descriptor];
    expect(image.platform).toEqual({ architecture: platformId.split('/')[1], os: 'linux' });
    expect(att.platform).toEqual({ architecture: 'unknown', os: 'unknown' });
    expect(att.annotations).toEqual({
      'vnd.docker.reference.digest': image.digest,
      'vnd.docker.reference.type': 'attestation-manifest',
    });

    const manifest = JSON.parse(new TextDecoder().decode(await fetchVerified('manifests', att.digest))) as {
      config: Descriptor;
      layers: Descriptor[];
    };
    expect(manifest.layers.map((l) => [l.mediaType, l.annotations])).toEqual([
      ['application/vnd.in-toto+json', { 'in-toto.io/predicate-type': 'https://spdx.dev/Document' }],
      ['application/vnd.in-toto+json', { 'in-toto.io/predicate-type': 'https://slsa.dev/provenance/v0.2' }],
    ]);
    // BuildKit's attestation config: platform unknown/unknown, the statements' digests as diff IDs.
    const config = JSON.parse(new TextDecoder().decode(await fetchVerified('blobs', manifest.config.digest)));
    expect(config).toEqual({
      architecture: 'unknown',
      os: 'unknown',
      config: {},
      rootfs: { type: 'layers', diff_ids: manifest.layers.map((l) => l.digest) },
    });
    const [sbom, provenance] = (await Promise.all(
      manifest.layers.map(async (l) =>
        JSON.parse(new TextDecoder().decode(await fetchVerified('blobs', l.digest))),
      ),
    )) as [Statement, Statement];
    // The subject: the image manifest, named as BuildKit's purl.RefToPURL names it (Go's escaping of ':' and '/').
    const subject = [
      {
        name: `pkg:docker/127.0.0.1%3A${registry.port}/app@1?platform=${encodeURIComponent(platformId)}`,
        digest: { sha256: image.digest.slice('sha256:'.length) },
      },
    ];
    for (const s of [sbom, provenance]) {
      expect(s._type).toBe('https://in-toto.io/Statement/v0.1');
      expect(s.subject).toEqual(subject);
    }

    // The SBOM: valid SPDX 2.3; the base image's Debian packages (as dpkg-query lists them) and the app's npm ones.
    expect(validateSpdx(sbom.predicate), JSON.stringify(validateSpdx.errors)).toBe(true);
    const packages = sbom.predicate.packages ?? [];
    const locators = packages.map((p) => p.externalRefs?.[0]?.referenceLocator ?? '');
    const debs = packages.filter((_, i) => locators[i]?.startsWith('pkg:deb/'));
    expect(debs.map((p) => `${p.name}@${p.versionInfo}`).sort()).toEqual(await dpkgPackages());
    expect(locators.filter((l) => l.startsWith('pkg:npm/')).sort()).toEqual([
      'pkg:npm/%40scope/thing@2.0.0',
      'pkg:npm/left-pad@1.1.0',
      'pkg:npm/left-pad@1.3.0',
    ]);

    // The provenance: the base image by digest (read here with skopeo) and the app directory by its layer's diff ID.
    const baseDigest = sha256(
      new TextEncoder().encode((await run('skopeo', ['inspect', '--raw', base])).stdout),
    );
    const imageManifest = JSON.parse(
      new TextDecoder().decode(await fetchVerified('manifests', image.digest)),
    );
    const imageConfig = JSON.parse(
      new TextDecoder().decode(await fetchVerified('blobs', imageManifest.config.digest)),
    );
    const appDiffId = imageConfig.rootfs.diff_ids.at(-1) as string;
    const p = provenance.predicate as {
      buildType: string;
      materials: { uri: string; digest: { sha256: string } }[];
      invocation: { parameters: { args: Record<string, string> }; environment: { platform: string } };
      buildConfig?: unknown;
      metadata: { completeness: Record<string, boolean>; 'https://lading.dev/export@v1#metadata': object };
    };
    expect(p.buildType).toBe('https://lading.dev/export@v1');
    expect(p.materials).toEqual([
      {
        uri: `pkg:oci/base@1?platform=${encodeURIComponent(platformId)}`,
        digest: { sha256: baseDigest.slice(7) },
      },
      { uri: `file://${app}`, digest: { sha256: appDiffId.slice(7) } },
    ]);
    expect(p.invocation.parameters.args['label:org.example']).toBe('yes');
    expect(p.invocation.parameters.args['output:0']).toBe(
      `type=registry,name=${name},registry.insecure=true`,
    );
    expect(p.invocation.environment.platform).toBe(platformId);
    expect(p.buildConfig).toBeDefined();
    expect(p.metadata.completeness).toEqual({ parameters: true, environment: true, materials: true });
    expect(p.metadata['https://lading.dev/export@v1#metadata']).toEqual({
      version: JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version,
    });

    // skopeo copies the whole index, attestations included, into an OCI layout.
    await run('skopeo', [
      'copy',
      '--all',
      '--src-tls-verify=false',
      `docker://${name}`,
      `oci:${join(dir.path, 'copy')}:1`,
    ]);
    expect((await run('skopeo', ['inspect', '--raw', `oci:${join(dir.path, 'copy')}:1`])).stdout).toBe(raw);
  });
});

describe.runIf(havePeers('skopeo'))('attestations in OCI layouts and tarballs', () => {
  it('mode=min records less; an oci tarball keeps every attestation blob (skopeo copies it)', async () => {
    const tar = join(dir.path, 'min.tar');
    const r = await lading(
      [
        'export',
        app,
        '--provenance',
        'mode=min',
        '--label',
        'secret=maybe',
        '-o',
        `type=oci,dest=${tar}`,
        '-t',
        'app:1',
      ],
      { env: env() },
    );
    expect(r.code, r.stderr).toBe(0);
    const index = JSON.parse((await run('skopeo', ['inspect', '--raw', `oci-archive:${tar}:1`])).stdout) as {
      manifests: Descriptor[];
    };
    expect(index.manifests.map((m) => m.platform?.os)).toEqual(['linux', 'unknown']);
    await run('skopeo', ['copy', '--all', `oci-archive:${tar}:1`, `oci:${join(dir.path, 'min-copy')}:1`]);
    const found = await readImageAttestations(
      await openLocalStore(join(dir.path, 'min-copy')),
      await rootOf(join(dir.path, 'min-copy')),
    );
    expect(found).toHaveLength(1);
    const statement = found[0]?.statements[0]?.statement;
    expect(statement?.predicateType).toBe('https://slsa.dev/provenance/v0.2');
    expect(statement?.subject).toEqual([
      {
        name: `pkg:docker/app@1?platform=${encodeURIComponent(platformId)}`,
        digest: { sha256: index.manifests[0]?.digest.slice(7) },
      },
    ]);
    const p = statement?.predicate as {
      materials?: unknown[];
      buildConfig?: unknown;
      invocation: { parameters: { args: Record<string, string>; locals: { name: string }[] } };
      metadata: { completeness: Record<string, boolean> };
    };
    // BuildKit's min: no steps, labels (like build args) left out so parameters are incomplete, locals by name only.
    expect(p.buildConfig).toBeUndefined();
    expect(p.materials).toBeUndefined();
    expect(p.invocation.parameters.args['label:secret']).toBeUndefined();
    expect(p.invocation.parameters.locals).toEqual([{ name: app }]);
    expect(p.metadata.completeness).toEqual({ parameters: false, environment: true, materials: false });
  });

  it('several platforms: an attestation manifest per image, each naming its own', async () => {
    const out = join(dir.path, 'multi');
    const r = await lading(
      [
        'export',
        app,
        '--platform',
        'linux/amd64,linux/arm64',
        '--sbom',
        'true',
        '-o',
        `type=oci,tar=false,dest=${out}`,
        '-t',
        'm:1',
      ],
      { env: env() },
    );
    expect(r.code, r.stderr).toBe(0);
    const index = JSON.parse((await run('skopeo', ['inspect', '--raw', `oci:${out}:1`])).stdout) as {
      manifests: Descriptor[];
    };
    expect(index.manifests.map((m) => `${m.platform?.os}/${m.platform?.architecture}`)).toEqual([
      'linux/amd64',
      'linux/arm64',
      'unknown/unknown',
      'unknown/unknown',
    ]);
    expect(index.manifests.slice(2).map((m) => m.annotations?.['vnd.docker.reference.digest'])).toEqual(
      index.manifests.slice(0, 2).map((m) => m.digest),
    );
    const found = await readImageAttestations(await openLocalStore(out), await rootOf(out));
    expect(found.map((f) => f.statements[0]?.statement.subject[0]?.name)).toEqual([
      'pkg:docker/m@1?platform=linux%2Famd64',
      'pkg:docker/m@1?platform=linux%2Farm64',
    ]);
  });

  it('a warm re-export (the layer cache answers, no walk) has the same SBOM, remembered or read from the blob', async () => {
    const out = join(dir.path, 'warm');
    const sbomOf = async () => {
      const r = await lading(
        ['export', app, '--sbom', 'true', '--epoch', '0', '-o', `type=oci,tar=false,dest=${out}`],
        {
          env: env(),
        },
      );
      expect(r.code, r.stderr).toBe(0);
      const found = await readImageAttestations(await openLocalStore(out), await rootOf(out));
      return found[0]?.statements[0]?.statement.predicate as {
        packages: { name: string; versionInfo: string }[];
      };
    };
    const cold = await sbomOf();
    expect(cold.packages.map((p) => `${p.name}@${p.versionInfo}`).sort()).toEqual([
      '@scope/thing@2.0.0',
      'left-pad@1.1.0',
      'left-pad@1.3.0',
    ]);
    expect(await sbomOf()).toEqual(cold);
    await rm(join(out, '.lading', 'sbom-findings'), { recursive: true });
    expect(await sbomOf()).toEqual(cold);
  });

  it('--sbom=false asks for nothing: a plain image manifest', async () => {
    const out = join(dir.path, 'none');
    const r = await lading(['export', app, '--sbom', 'false', '-o', `type=oci,tar=false,dest=${out}`], {
      env: env(),
    });
    expect(r.code, r.stderr).toBe(0);
    expect((await rootOf(out)).mediaType).toBe(MediaType.ociManifest);
  });
});

/** The descriptor an OCI layout's index.json names first. */
