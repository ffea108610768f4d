// lading-buildah's signatures against the real verifiers: skopeo (gpgme) checks what `push --sign-by` made, and the
// policy's signedBy checks what `skopeo copy --sign-by` made; cosign signatures (which Debian's skopeo cannot check:
// sigstore is disabled there) are checked by openssl and by the policy's sigstoreSigned.
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { havePeers, inCI, makeGpgKey, makeTempDir, run, startRegistry, type TempDir } from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ladingBuildah, lb } from './helpers.js';

function haveGpg(): boolean {
  try {
    execFileSync('gpg', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    if (inCI) throw new Error('gpg is required (apt-get install gnupg)');
    return false;
  }
}

describe.runIf(havePeers('skopeo', 'docker-registry', 'openssl') && haveGpg())(
  'lading-buildah signing and signature policy',
  () => {
    let dir: TempDir;
    let registry: Awaited<ReturnType<typeof startRegistry>>;
    let root: string;
    let gnupg: string;
    let fingerprint: string;
    let otherFingerprint: string;
    const p = (...s: string[]) => join(dir.path, ...s);
    const gpgEnv = () => ({ GNUPGHOME: gnupg });
    /** lading-buildah with the test's registries.d and GNUPGHOME */
    const lbx = (args: string[]) =>
      ladingBuildah(root, ['--registries-conf-dir', p('registries.d'), ...args], { env: gpgEnv() });

    async function genKey(name: string): Promise<string> {
      const key = await makeGpgKey(gnupg, name);
      await writeFile(p(`${name}.pub.asc`), key.publicArmored);
      return key.fingerprint;
    }

    async function policy(
      name: string,
      docker: unknown[],
      others: Record<string, unknown> = {},
    ): Promise<string> {
      const file = p(`${name}.json`);
      await writeFile(
        file,
        JSON.stringify({
          default: [{ type: 'insecureAcceptAnything' }],
          transports: { ...(docker.length > 0 ? { docker: { [registry.host]: docker } } : {}), ...others },
        }),
      );
      return file;
    }

    beforeAll(async () => {
      dir = await makeTempDir('lading-buildah-sign-');
      registry = await startRegistry();
      root = p('root');
      gnupg = p('gnupg');
      await mkdir(gnupg, { mode: 0o700 });
      fingerprint = await genKey('me');
      otherFingerprint = await genKey('other');
      await mkdir(p('registries.d'));
      await writeFile(
        p('registries.d', 'default.yaml'),
        `default-docker:\n  lookaside: file://${p('sigstore')}\n`,
      );
      await mkdir(p('rootfs', 'etc'), { recursive: true });
      await writeFile(p('rootfs', 'etc', 'hello'), 'hello\n');
      const c = await lb(root, ['from', 'scratch']);
      await lb(root, ['copy', c, p('rootfs'), '/']);
      await lb(root, ['commit', '-q', c, 'app']);
    }, 180_000);
    afterAll(async () => {
      await registry?.stop();
      await dir?.cleanup();
    });

    it('push --sign-by makes a simple signature that skopeo verifies under signedBy', async () => {
      const pushed = await lbx([
        'push',
        '--tls-verify=false',
        '--sign-by',
        fingerprint,
        'app',
        `docker://${registry.host}/signed/app:1`,
      ]);
      expect(pushed.code, pushed.stderr).toBe(0);
      expect(pushed.stderr).toContain('Signing manifest using simple signing');
      const skopeoPolicy = await policy(
        'skopeo-me',
        [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: p('me.pub.asc') }],
        {
          dir: { '': [{ type: 'insecureAcceptAnything' }] },
        },
      );
      const copy = (ref: string, out: string) =>
        run(
          'skopeo',
          [
            '--registries.d',
            p('registries.d'),
            '--policy',
            skopeoPolicy,
            'copy',
            '--src-tls-verify=false',
            `docker://${registry.host}/${ref}`,
            `dir:${p(out)}`,
          ],
          { allowFailure: true },
        );
      const ok = await copy('signed/app:1', 'out-signed');
      expect(ok.code, ok.stderr).toBe(0);
      // unsigned
      expect(
        (await lbx(['push', '--tls-verify=false', 'app', `docker://${registry.host}/unsigned/app:1`])).code,
      ).toBe(0);
      const unsigned = await copy('unsigned/app:1', 'out-unsigned');
      // skopeo: 1 for a failure that is not a missing image (a policy refusal)
      expect(unsigned.code).toBe(1);
      expect(unsigned.stderr).toMatch(/no signature exists/);
    });

    it('from under signedBy accepts what skopeo signed with gpg, and refuses the unsigned and another key', async () => {
      expect(
        (await lbx(['push', '--tls-verify=false', 'app', `docker://${registry.host}/plain/app:1`])).code,
      ).toBe(0);
      const signed = await run(
        'skopeo',
        [
          '--registries.d',
          p('registries.d'),
          '--insecure-policy',
          'copy',
          '--src-tls-verify=false',
          '--dest-tls-verify=false',
          '--sign-by',
          fingerprint,
          `docker://${registry.host}/plain/app:1`,
          `docker://${registry.host}/by-skopeo/app:1`,
        ],
        { env: { ...process.env, ...gpgEnv() }, allowFailure: true },
      );
      expect(signed.code, signed.stderr).toBe(0);
      const mine = await policy('me', [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: p('me.pub.asc') }]);
      const from = (pol: string, ref: string) =>
        lbx([
          'from',
          '--tls-verify=false',
          '--signature-policy',
          pol,
          '-q',
          `docker://${registry.host}/${ref}`,
        ]);
      const ok = await from(mine, 'by-skopeo/app:1');
      expect(ok.code, ok.stderr).toBe(0);
      const unsigned = await from(mine, 'plain/app:1');
      expect(unsigned.code).toBe(3);
      expect(unsigned.stderr).toContain('A signature was required, but no signature exists');
      const other = await policy('other', [
        {
          type: 'signedBy',
          keyType: 'GPGKeys',
          keyData: Buffer.from(await readFile(p('other.pub.asc'))).toString('base64'),
        },
      ]);
      const wrong = await from(other, 'by-skopeo/app:1');
      expect(wrong.code).toBe(3);
      expect(wrong.stderr).toContain(`signed by key ${fingerprint.slice(-16)}, not one of those given`);
      expect(otherFingerprint).not.toBe(fingerprint);
      // signedIdentity: a signature for by-skopeo/app:1 does not vouch for another name of the same image
      const renamed = await run(
        'skopeo',
        [
          '--insecure-policy',
          'copy',
          '--src-tls-verify=false',
          '--dest-tls-verify=false',
          `docker://${registry.host}/by-skopeo/app:1`,
          `docker://${registry.host}/by-skopeo/app:2`,
        ],
        { allowFailure: true },
      );
      expect(renamed.code, renamed.stderr).toBe(0);
      const moved = await from(mine, 'by-skopeo/app:2');
      expect(moved.code).toBe(3);
      expect(moved.stderr).toMatch(/which matchRepoDigestOrExact does not accept/);
      const byRepo = await policy('me-repo', [
        {
          type: 'signedBy',
          keyType: 'GPGKeys',
          keyPath: p('me.pub.asc'),
          signedIdentity: { type: 'matchRepository' },
        },
      ]);
      expect((await from(byRepo, 'by-skopeo/app:2')).code).toBe(0);
    });

    it('a cosign key: push to a registry, an OCI layout and dir:, each checked by openssl or sigstoreSigned', async () => {
      const pass = 'a cosign passphrase';
      await writeFile(p('pass'), `${pass}\n`);
      // the key pair as `lading key generate` writes it
      const { generateCosignKeyPair } = await import('@lading/sign');
      const pair = await generateCosignKeyPair(pass);
      await writeFile(p('cosign.key'), pair.privateKeyPem);
      await writeFile(p('cosign.pub'), pair.publicKeyPem);
      const other = await generateCosignKeyPair(pass);
      await writeFile(p('other-cosign.pub'), other.publicKeyPem);
      const cosign = ['--sign-by-sigstore-private-key', p('cosign.key'), '--sign-passphrase-file', p('pass')];

      const reg = await lbx([
        'push',
        '--tls-verify=false',
        ...cosign,
        'app',
        `docker://${registry.host}/cosigned/app:1`,
      ]);
      expect(reg.code, reg.stderr).toBe(0);
      const raw = await run('skopeo', [
        'inspect',
        '--raw',
        '--tls-verify=false',
        `docker://${registry.host}/cosigned/app:1`,
      ]);
      const { createHash } = await import('node:crypto');
      const digest = createHash('sha256').update(raw.stdout).digest('hex');
      const sig = (await (
        await fetch(`${registry.url}/v2/cosigned/app/manifests/sha256-${digest}.sig`, {
          headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
        })
      ).json()) as { layers: { digest: string; annotations: Record<string, string> }[] };
      const layer = sig.layers[0] as (typeof sig.layers)[number];
      await writeFile(
        p('payload'),
        new Uint8Array(
          await (await fetch(`${registry.url}/v2/cosigned/app/blobs/${layer.digest}`)).arrayBuffer(),
        ),
      );
      await writeFile(
        p('sig.der'),
        Buffer.from(layer.annotations['dev.cosignproject.cosign/signature'] as string, 'base64'),
      );
      expect(
        (
          await run('openssl', [
            'dgst',
            '-sha256',
            '-verify',
            p('cosign.pub'),
            '-signature',
            p('sig.der'),
            p('payload'),
          ])
        ).stdout,
      ).toContain('Verified OK');
      const sigstorePolicy = await policy('cosign', [{ type: 'sigstoreSigned', keyPath: p('cosign.pub') }]);
      const fromReg = await lbx([
        'from',
        '--tls-verify=false',
        '--signature-policy',
        sigstorePolicy,
        '-q',
        `docker://${registry.host}/cosigned/app:1`,
      ]);
      expect(fromReg.code, fromReg.stderr).toBe(0);
      const otherPolicy = await policy('other-cosign', [
        { type: 'sigstoreSigned', keyPath: p('other-cosign.pub') },
      ]);
      const wrong = await lbx([
        'from',
        '--tls-verify=false',
        '--signature-policy',
        otherPolicy,
        '-q',
        `docker://${registry.host}/cosigned/app:1`,
      ]);
      expect(wrong.code).toBe(3);
      expect(wrong.stderr).toContain('none of the public keys given verifies');

      // an OCI layout keeps the signature next to the image, under sha256-<hex>.sig
      const noIdentity = await lbx(['push', ...cosign, 'app', `oci:${p('layout')}:app`]);
      expect(noIdentity.code).toBe(2);
      expect(noIdentity.stderr).toContain('--sign-identity');
      const identity = `${registry.host}/cosigned/app:1`;
      const toLayout = await lbx([
        'push',
        ...cosign,
        '--sign-identity',
        identity,
        'app',
        `oci:${p('layout')}:app`,
      ]);
      expect(toLayout.code, toLayout.stderr).toBe(0);
      const index = JSON.parse(await readFile(p('layout', 'index.json'), 'utf8')) as {
        manifests: { digest: string; annotations?: Record<string, string> }[];
      };
      const image = index.manifests.find(
        (m) => m.annotations?.['org.opencontainers.image.ref.name'] === 'app',
      );
      const sigName = `sha256-${image?.digest.slice(7)}.sig`;
      expect(index.manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name'])).toContain(
        sigName,
      );
      // skopeo reads the signature entry like any image
      const inspected = await run('skopeo', ['inspect', '--raw', `oci:${p('layout')}:${sigName}`]);
      expect(JSON.parse(inspected.stdout).layers[0].mediaType).toBe(
        'application/vnd.dev.cosign.simplesigning.v1+json',
      );
      const exact = { type: 'exactReference', dockerReference: identity };
      const layoutPolicy = await policy('layout', [], {
        oci: { '': [{ type: 'sigstoreSigned', keyPath: p('cosign.pub'), signedIdentity: exact }] },
      });
      const fromLayout = await lbx([
        'from',
        '--signature-policy',
        layoutPolicy,
        '-q',
        `oci:${p('layout')}:app`,
      ]);
      expect(fromLayout.code, fromLayout.stderr).toBe(0);

      // dir: signature-N in containers/image's sigstore-json format
      const toDir = await lbx([
        'push',
        ...cosign,
        '--sign-identity',
        identity,
        'app',
        `dir:${p('dir-image')}`,
      ]);
      expect(toDir.code, toDir.stderr).toBe(0);
      const blob = await readFile(p('dir-image', 'signature-1'));
      expect(blob[0]).toBe(0);
      expect(blob.subarray(1, blob.indexOf(0x0a)).toString()).toBe('sigstore-json');
      const dirPolicy = await policy('dir', [], {
        dir: { '': [{ type: 'sigstoreSigned', keyPath: p('cosign.pub'), signedIdentity: exact }] },
      });
      expect((await lbx(['from', '--signature-policy', dirPolicy, '-q', `dir:${p('dir-image')}`])).code).toBe(
        0,
      );
      // a simple signature cannot go into an OCI layout, as containers/image refuses it
      const simpleToOci = await lbx([
        'push',
        '--sign-by',
        fingerprint,
        '--sign-identity',
        identity,
        'app',
        `oci:${p('layout2')}:app`,
      ]);
      expect(simpleToOci.code).toBe(2);
      // a wrong passphrase writes nothing
      await writeFile(p('bad-pass'), 'nope\n');
      const bad = await lbx([
        'push',
        '--tls-verify=false',
        '--sign-by-sigstore-private-key',
        p('cosign.key'),
        '--sign-passphrase-file',
        p('bad-pass'),
        'app',
        `docker://${registry.host}/never/app:1`,
      ]);
      expect(bad.code).toBe(3);
      expect(bad.stderr).not.toContain(pass);
      const absent = await fetch(`${registry.url}/v2/never/app/manifests/1`);
      expect(absent.status).toBe(404);
    });
  },
);
