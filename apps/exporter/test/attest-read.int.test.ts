import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createMemoryStore, openLocalStore, writeBlob } from '@lading/content-store';
import { isLadingError, MediaType } from '@lading/digest';
import { run } from '@lading/testkit';
import { describe, expect, it } from 'vitest';
import { readImageAttestations } from '../src/operations/index.js';
import { app, dir, env, rootOf, useAttestFixture } from './attest-fixture.js';
import { lading } from './helpers.js';

useAttestFixture();

describe('outputs that cannot hold attestations, and bad requests', () => {
  it("type=docker refuses them with BuildKit's message, and type=moby too, before anything is written", async () => {
    const dest = join(dir.path, 'docker.tar');
    const r = await lading(['export', app, '--attest', 'type=sbom', '-o', `type=docker,dest=${dest}`], {
      env: env(),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('docker exporter does not currently support exporting manifest lists');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(dest)).toBe(false);
    const m = await lading(['export', app, '--provenance', 'true', '-o', 'type=moby,name=x'], { env: env() });
    expect(m.code).toBe(2);
    expect(m.stderr).toContain('type=moby does not support attestations');
  });

  it('unknown types, modes and generator images are usage errors', async () => {
    for (const [args, text] of [
      [['--attest', 'type=vex'], 'unknown attestation type'],
      [['--attest', 'type=provenance,mode=full-ish'], 'invalid mode "full-ish"'],
      [['--attest', 'type=sbom,generator=docker/buildkit-syft-scanner'], 'runs no generator image'],
      [['--attest', 'mode=max'], 'attestation type not specified'],
    ] as const) {
      const r = await lading(['export', app, ...args, '-o', `type=oci,dest=${join(dir.path, 'x.tar')}`], {
        env: env(),
      });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(text);
    }
  });
});

describe('reading attestations back', () => {
  /** An index over one image and its attestation manifest holding `statement`, in a memory store. */
  async function indexWith(statement: Uint8Array, predicateType = 'https://spdx.dev/Document') {
    const store = createMemoryStore();
    const image = await writeBlob(store, new TextEncoder().encode('{"schemaVersion":2}'), {
      mediaType: MediaType.ociManifest,
    });
    const layer = await writeBlob(store, statement, { mediaType: 'application/vnd.in-toto+json' });
    const config = await writeBlob(store, new TextEncoder().encode('{}'), { mediaType: MediaType.ociConfig });
    const manifest = await writeBlob(
      store,
      new TextEncoder().encode(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MediaType.ociManifest,
          config,
          layers: [{ ...layer, annotations: { 'in-toto.io/predicate-type': predicateType } }],
        }),
      ),
      { mediaType: MediaType.ociManifest },
    );
    const index = await writeBlob(
      store,
      new TextEncoder().encode(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MediaType.ociIndex,
          manifests: [
            { ...image, platform: { os: 'linux', architecture: 'amd64' } },
            {
              ...manifest,
              annotations: {
                'vnd.docker.reference.type': 'attestation-manifest',
                'vnd.docker.reference.digest': image.digest,
              },
              platform: { os: 'unknown', architecture: 'unknown' },
            },
          ],
        }),
      ),
      { mediaType: MediaType.ociIndex },
    );
    return { store, index, image };
  }
  const statementFor = (digest: string, predicateType = 'https://spdx.dev/Document') =>
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v0.1',
      predicateType,
      subject: [{ name: '_', digest: { sha256: digest.slice(7) } }],
      predicate: { spdxVersion: 'SPDX-2.3' },
    });
  const codeOf = async (p: Promise<unknown>) => {
    try {
      await p;
      return 'resolved';
    } catch (e) {
      expect(isLadingError(e), String(e)).toBe(true);
      return `${(e as { kind?: string }).constructor.name}:${(e as { code: string }).code}`;
    }
  };

  it('a good statement reads; truncated, malformed or misdirected ones are typed errors', async () => {
    const probe = await indexWith(new TextEncoder().encode('{}'));
    const good = statementFor(probe.image.digest);
    const ok = await indexWith(new TextEncoder().encode(good));
    expect((await readImageAttestations(ok.store, ok.index))[0]?.statements[0]?.statement.predicate).toEqual({
      spdxVersion: 'SPDX-2.3',
    });
    const truncated = await indexWith(new TextEncoder().encode(good.slice(0, good.length - 20)));
    expect(await codeOf(readImageAttestations(truncated.store, truncated.index))).toBe(
      'InvalidInputError:ATTESTATION_BAD_JSON',
    );
    const notOne = await indexWith(
      new TextEncoder().encode('{"_type":"https://example.com/x","predicate":{}}'),
    );
    expect(await codeOf(readImageAttestations(notOne.store, notOne.index))).toBe(
      'InvalidInputError:ATTESTATION_NOT_STATEMENT',
    );
    const other = await indexWith(new TextEncoder().encode(statementFor(`sha256:${'0'.repeat(64)}`)));
    expect(await codeOf(readImageAttestations(other.store, other.index))).toBe(
      'IntegrityError:ATTESTATION_SUBJECT_MISMATCH',
    );
    const mislabelled = await indexWith(new TextEncoder().encode(good), 'https://slsa.dev/provenance/v0.2');
    expect(await codeOf(readImageAttestations(mislabelled.store, mislabelled.index))).toBe(
      'InvalidInputError:ATTESTATION_PREDICATE_MISMATCH',
    );
  });

  it('a statement blob cut short in a layout is an integrity error', async () => {
    const out = join(dir.path, 'cut');
    const r = await lading(['export', app, '--sbom', 'true', '-o', `type=oci,tar=false,dest=${out}`], {
      env: env(),
    });
    expect(r.code, r.stderr).toBe(0);
    const root = await rootOf(out);
    const index = JSON.parse(await readFile(join(out, 'blobs/sha256', root.digest.slice(7)), 'utf8'));
    const attManifest = JSON.parse(
      await readFile(join(out, 'blobs/sha256', index.manifests[1].digest.slice(7)), 'utf8'),
    );
    const blob = join(out, 'blobs/sha256', attManifest.layers[0].digest.slice(7));
    const bytes = await readFile(blob);
    await run('chmod', ['u+w', blob]);
    await writeFile(blob, bytes.subarray(0, bytes.length - 100));
    expect(await codeOf(readImageAttestations(await openLocalStore(out), root))).toMatch(/^IntegrityError:/);
  });
});
