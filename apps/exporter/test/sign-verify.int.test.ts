// Signing on the way out and `lading verify`, checked by real verifiers: skopeo 1.9 (gpgme) verifies lading's simple
// signatures under a policy with signedBy; lading verifies what skopeo signed with gpg; cosign signatures are checked
// by openssl over the payload and the signature read by hand from the registry. Debian's skopeo has sigstore
// disabled (for signing and verifying alike), so no peer here checks cosign signatures but openssl.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { havePeers, inCI, makeGpgKey, makeTempDir, run, startRegistry, type TempDir } from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helloRootfs, lading } from './helpers.js';

function haveGpg(): boolean {
  try {
    execFileSync('gpg', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    if (inCI) throw new Error('gpg is required (apt-get install gnupg)');
    return false;
  }
}

const sha256 = (b: Uint8Array | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const passphrase = 'correct horse battery staple';

describe.runIf(havePeers('skopeo', 'docker-registry', 'openssl') && haveGpg())(
  'signing and verification',
  () => {
    let dir: TempDir;
    let registry: Awaited<ReturnType<typeof startRegistry>>;
    let gnupg: string;
    let fingerprint: string;
    let otherGnupg: string;
    const p = (...s: string[]) => join(dir.path, ...s);
    const env = () => ({ LADING_STORE: p('store'), GNUPGHOME: gnupg, LADING_PASSPHRASE: '' });
    const skopeo = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
      run('skopeo', ['--registries.d', p('registries.d'), ...args], {
        env: { ...process.env, GNUPGHOME: gnupg, ...extra },
        allowFailure: true,
      });
    const rawManifest = async (repoTag: string) =>
      (
        await run('skopeo', [
          'inspect',
          '--raw',
          '--tls-verify=false',
          `docker://${registry.host}/${repoTag}`,
        ])
      ).stdout;

    async function makeKey(home: string, name: string): Promise<string> {
      const key = await makeGpgKey(home, name);
      await writeFile(p(`${name}.asc`), key.secretArmored);
      await writeFile(p(`${name}.pub.asc`), key.publicArmored);
      return key.fingerprint;
    }

    /** openssl's verdict on a cosign signature layer: its annotation over the payload, with the public key. */
    async function opensslVerifies(
      pub: string,
      layer: { annotations: Record<string, string> },
      payload: Uint8Array,
    ): Promise<string> {
      const base = p(`ossl-${sha256(payload).slice(7, 19)}`);
      await writeFile(`${base}.payload`, payload);
      await writeFile(
        `${base}.der`,
        Buffer.from(layer.annotations['dev.cosignproject.cosign/signature'] as string, 'base64'),
      );
      const r = await run('openssl', [
        'dgst',
        '-sha256',
        '-verify',
        pub,
        '-signature',
        `${base}.der`,
        `${base}.payload`,
      ]);
      return r.stdout;
    }

    beforeAll(async () => {
      dir = await makeTempDir('lading-sign-');
      registry = await startRegistry();
      gnupg = p('gnupg');
      otherGnupg = p('gnupg-other');
      fingerprint = await makeKey(gnupg, 'me');
      await makeKey(otherGnupg, 'other');
      await mkdir(p('registries.d'));
      await writeFile(
        p('registries.d', 'default.yaml'),
        `default-docker:\n  lookaside: file://${p('sigstore')}\n`,
      );
      const policy = {
        default: [{ type: 'reject' }],
        transports: {
          docker: { '': [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: p('me.pub.asc') }] },
          dir: { '': [{ type: 'insecureAcceptAnything' }] },
        },
      };
      await writeFile(p('policy.json'), JSON.stringify(policy));
    }, 180_000);
    afterAll(async () => {
      await registry?.stop();
      await dir?.cleanup();
    });

    const exportSigned = (name: string, extra: string[] = []) =>
      lading(
        [
          'export',
          helloRootfs,
          '--label',
          `name=${name}`,
          '-o',
          `type=registry,name=${registry.host}/${name},registry.insecure=true`,
          '--registries.d',
          p('registries.d'),
          ...extra,
        ],
        { env: env() },
      );

    it('skopeo verifies a simple signature lading made on export, and refuses the unsigned and the tampered', async () => {
      const signed = await exportSigned('app:1', ['--sign-key', p('me.asc')]);
      expect(signed.code, signed.stderr).toBe(0);
      expect(signed.stdout).toContain(`signed ${registry.host}/app:1 with OpenPGP key ${fingerprint}`);
      const digest = sha256(await rawManifest('app:1'));
      // where containers/image reads it: <lookaside>/<repo>@sha256=<hex>/signature-1
      const sigFile = p('sigstore', `app@sha256=${digest.slice(7)}`, 'signature-1');
      expect((await readFile(sigFile)).byteLength).toBeGreaterThan(100);

      const copy = (ref: string, to: string) =>
        skopeo([
          '--policy',
          p('policy.json'),
          'copy',
          '--src-tls-verify=false',
          `docker://${registry.host}/${ref}`,
          `dir:${p(to)}`,
        ]);
      const ok = await copy('app:1', 'copied');
      expect(ok.code, ok.stderr).toBe(0);

      // unsigned: pushed without --sign-key
      expect((await exportSigned('unsigned:1')).code).toBe(0);
      const unsigned = await copy('unsigned:1', 'copied-unsigned');
      // skopeo: 1 for a failure that is not a missing image (a policy refusal)
      expect(unsigned.code).toBe(1);
      expect(unsigned.stderr).toMatch(/no signature exists/i);

      // tampered: the tag now names another image, and its signature was moved along to the new digest
      expect((await exportSigned('app:1', ['--env', 'TAMPERED=1'])).code).toBe(0);
      const newDigest = sha256(await rawManifest('app:1'));
      expect(newDigest).not.toBe(digest);
      await cp(
        p('sigstore', `app@sha256=${digest.slice(7)}`),
        p('sigstore', `app@sha256=${newDigest.slice(7)}`),
        {
          recursive: true,
        },
      );
      const tampered = await copy('app:1', 'copied-tampered');
      expect(tampered.code).toBe(1);
      expect(tampered.stderr).toMatch(/does not match/i);

      // and lading verify says the same, with its exit codes
      const verify = (ref: string, key: string) =>
        lading(
          [
            'verify',
            `docker://${registry.host}/${ref}`,
            '--key',
            p(key),
            '--insecure',
            '--registries.d',
            p('registries.d'),
          ],
          { env: env() },
        );
      const v = await verify('app:1', 'me.pub.asc');
      expect(v.code, v.stdout + v.stderr).toBe(12);
      expect(v.stdout).toContain(`for manifest ${digest}`);
      expect((await verify('unsigned:1', 'me.pub.asc')).code).toBe(10);
    });

    it('a multi-platform export signs its index, and skopeo copies it (--all) only under our key', async () => {
      const signed = await lading(
        [
          'export',
          helloRootfs,
          '--platform',
          'linux/amd64,linux/arm64',
          '-o',
          `type=registry,name=${registry.host}/multi:1,registry.insecure=true`,
          '--registries.d',
          p('registries.d'),
          '--sign-key',
          p('me.asc'),
        ],
        { env: env() },
      );
      expect(signed.code, signed.stderr).toBe(0);
      const raw = await rawManifest('multi:1');
      expect(JSON.parse(raw).manifests).toHaveLength(2);
      const copy = (policy: string) =>
        skopeo([
          '--policy',
          policy,
          'copy',
          '--all',
          '--src-tls-verify=false',
          `docker://${registry.host}/multi:1`,
          `dir:${p(`multi-${policy.endsWith('other.json') ? 'other' : 'me'}`)}`,
        ]);
      const ok = await copy(p('policy.json'));
      expect(ok.code, ok.stderr).toBe(0);
      const other = {
        default: [{ type: 'reject' }],
        transports: {
          docker: { '': [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: p('other.pub.asc') }] },
          dir: { '': [{ type: 'insecureAcceptAnything' }] },
        },
      };
      await writeFile(p('policy-other.json'), JSON.stringify(other));
      const refused = await copy(p('policy-other.json'));
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/not accepted|does not match|Invalid GPG signature|no signature/i);
    });

    it('lading verify accepts the right key only, and sees a re-signed tag as verified', async () => {
      expect((await exportSigned('good:1', ['--sign-key', p('me.asc')])).code).toBe(0);
      const verify = (key: string, json = false) =>
        lading(
          [
            'verify',
            `docker://${registry.host}/good:1`,
            '--key',
            p(key),
            '--insecure',
            '--registries.d',
            p('registries.d'),
            ...(json ? ['--json'] : []),
          ],
          { env: env() },
        );
      const ok = await verify('me.pub.asc', true);
      expect(ok.code, ok.stdout + ok.stderr).toBe(0);
      const parsed = JSON.parse(ok.stdout);
      expect(parsed.verdict).toBe('verified');
      expect(parsed.digest).toBe(sha256(await rawManifest('good:1')));
      const wrong = await verify('other.pub.asc');
      expect(wrong.code, wrong.stdout).toBe(11);
      // a signature altered after signing names the key but does not verify: mismatch
      const digest = parsed.digest as string;
      const file = p('sigstore', `good@sha256=${digest.slice(7)}`, 'signature-1');
      const bytes = await readFile(file);
      bytes[bytes.byteLength - 20] = (bytes[bytes.byteLength - 20] as number) ^ 0xff;
      await writeFile(file, bytes);
      expect((await verify('me.pub.asc')).code).toBe(12);
    });

    it('an image skopeo signed with gpg verifies in lading verify', async () => {
      expect((await exportSigned('plain:1')).code).toBe(0);
      const signedBySkopeo = await skopeo([
        '--insecure-policy',
        'copy',
        '--src-tls-verify=false',
        '--dest-tls-verify=false',
        '--sign-by',
        fingerprint,
        `docker://${registry.host}/plain:1`,
        `docker://${registry.host}/skopeo-signed:1`,
      ]);
      expect(signedBySkopeo.code, signedBySkopeo.stderr).toBe(0);
      const v = await lading(
        [
          'verify',
          `docker://${registry.host}/skopeo-signed:1`,
          '--key',
          p('me.pub.asc'),
          '--insecure',
          '--registries.d',
          p('registries.d'),
        ],
        { env: env() },
      );
      expect(v.code, v.stdout + v.stderr).toBe(0);
      expect(v.stdout).toContain(`signed by ${fingerprint} as ${registry.host}/skopeo-signed:1`);
    });

    it('push --sign-key with a cosign key: the .sig manifest read by hand, the signature checked by openssl', async () => {
      const keyEnv = { ...env(), LADING_PASSPHRASE: passphrase };
      const gen = await lading(['key', 'generate', '--out', p('cosign')], { env: keyEnv });
      expect(gen.code, gen.stderr).toBe(0);
      expect(await readFile(p('cosign.key'), 'utf8')).toMatch(
        /^-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----\n/,
      );
      expect((await lading(['key', 'generate', '--out', p('cosign')], { env: keyEnv })).code).toBe(3);

      expect((await exportSigned('cosigned:1')).code).toBe(0);
      const pushed = await lading(
        [
          'push',
          `${registry.host}/cosigned:1`,
          `docker://${registry.host}/cosigned:1`,
          '--insecure',
          '--sign-key',
          p('cosign.key'),
          '--json',
        ],
        { env: keyEnv },
      );
      expect(pushed.code, pushed.stderr).toBe(0);
      const digest = sha256(await rawManifest('cosigned:1'));
      const tag = `sha256-${digest.slice(7)}.sig`;
      expect(JSON.parse(pushed.stdout).signatures.tag).toBe(tag);

      // the signature manifest, read from the registry by hand
      const res = await fetch(`${registry.url}/v2/cosigned/manifests/${tag}`, {
        headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
      });
      expect(res.status).toBe(200);
      const manifest = (await res.json()) as {
        mediaType: string;
        layers: { mediaType: string; digest: string; annotations: Record<string, string> }[];
      };
      expect(manifest.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
      const layer = manifest.layers[0] as (typeof manifest.layers)[number];
      expect(layer.mediaType).toBe('application/vnd.dev.cosign.simplesigning.v1+json');
      const payload = new Uint8Array(
        await (await fetch(`${registry.url}/v2/cosigned/blobs/${layer.digest}`)).arrayBuffer(),
      );
      expect(sha256(payload)).toBe(layer.digest);
      const claims = JSON.parse(new TextDecoder().decode(payload));
      expect(claims.critical).toEqual({
        identity: { 'docker-reference': `${registry.host}/cosigned:1` },
        image: { 'docker-manifest-digest': digest },
        type: 'cosign container image signature',
      });
      expect(await opensslVerifies(p('cosign.pub'), layer, payload)).toContain('Verified OK');

      const verify = (key: string) =>
        lading(
          [
            'verify',
            `docker://${registry.host}/cosigned:1`,
            '--key',
            p(key),
            '--insecure',
            '--registries.d',
            p('registries.d'),
          ],
          {
            env: env(),
          },
        );
      expect((await verify('cosign.pub')).code).toBe(0);
      // another cosign key: the signature exists but none verifies
      expect((await lading(['key', 'generate', '--out', p('cosign2')], { env: keyEnv })).code).toBe(0);
      expect((await verify('cosign2.pub')).code).toBe(11);
      // signing again with the same key adds a layer to the same .sig manifest, never a second tag
      expect(
        (
          await lading(
            [
              'push',
              `${registry.host}/cosigned:1`,
              `docker://${registry.host}/cosigned:1`,
              '--insecure',
              '--sign-key',
              p('cosign.key'),
            ],
            { env: keyEnv },
          )
        ).code,
      ).toBe(0);
      const again = (await (
        await fetch(`${registry.url}/v2/cosigned/manifests/${tag}`, {
          headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
        })
      ).json()) as { layers: unknown[] };
      expect(again.layers.length).toBe(2);
    });

    it('export -o type=oci,tar=false --sign-key with a cosign key keeps the signature in the layout', async () => {
      const keyEnv = { ...env(), LADING_PASSPHRASE: passphrase };
      const dest = p('signed-layout');
      // a key of its own: this test does not lean on another's
      const gen = await lading(['key', 'generate', '--out', p('layout-cosign')], { env: keyEnv });
      expect(gen.code, gen.stderr).toBe(0);
      const out = await lading(
        [
          'export',
          helloRootfs,
          '-o',
          `type=oci,tar=false,dest=${dest},name=example.com/app:1`,
          '--sign-key',
          p('layout-cosign.key'),
        ],
        { env: keyEnv },
      );
      expect(out.code, out.stderr).toBe(0);
      type Entry = { digest: string; annotations?: Record<string, string> };
      const index = JSON.parse(await readFile(join(dest, 'index.json'), 'utf8')) as { manifests: Entry[] };
      const blob = (d: string) => readFile(join(dest, 'blobs', 'sha256', d.slice(7)));
      const image = index.manifests.find(
        (m) => !m.annotations?.['org.opencontainers.image.ref.name']?.endsWith('.sig'),
      ) as Entry;
      expect(sha256(await blob(image.digest))).toBe(image.digest);
      const tag = `sha256-${image.digest.slice(7)}.sig`;
      const sigEntry = index.manifests.find(
        (m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag,
      ) as Entry;
      expect(sigEntry, JSON.stringify(index)).toBeDefined();
      const manifest = JSON.parse((await blob(sigEntry.digest)).toString('utf8')) as {
        layers: { mediaType: string; digest: string; annotations: Record<string, string> }[];
      };
      const layer = manifest.layers[0] as (typeof manifest.layers)[number];
      expect(layer.mediaType).toBe('application/vnd.dev.cosign.simplesigning.v1+json');
      const payload = await blob(layer.digest);
      expect(JSON.parse(payload.toString('utf8')).critical).toEqual({
        identity: { 'docker-reference': 'example.com/app:1' },
        image: { 'docker-manifest-digest': image.digest },
        type: 'cosign container image signature',
      });
      expect(await opensslVerifies(p('layout-cosign.pub'), layer, payload)).toContain('Verified OK');
      const verified = await lading(['verify', `oci:${dest}:1`, '--key', p('layout-cosign.pub')], {
        env: env(),
      });
      expect(verified.code, verified.stderr).toBe(0);

      // an OpenPGP key alone, or a layout without a name, is refused before anything is built
      const refused = async (key: string, attrs: string) => {
        const d = p(`refused-${attrs.length}`);
        const r = await lading(
          ['export', helloRootfs, '-o', `type=oci,tar=false,dest=${d}${attrs}`, '--sign-key', p(key)],
          { env: keyEnv },
        );
        expect(r.code, r.stderr).toBe(2);
        await expect(readFile(join(d, 'index.json'))).rejects.toThrow(/ENOENT/);
        return r.stderr;
      };
      expect(await refused('me.asc', ',name=example.com/app:1')).toMatch(/cosign signatures only/);
      expect(await refused('layout-cosign.key', '')).toMatch(/cannot determine the name to sign for/);
    });

    it('bad keys and passphrases are one typed line that shows no secret', async () => {
      const secretKeyText = await readFile(p('cosign.key'), 'utf8');
      const keyBody = (secretKeyText.split('\n')[1] as string).slice(0, 24);
      const armored = await readFile(p('me.asc'), 'utf8');
      const armoredBody = (armored.split('\n').find((l) => l.length > 40) as string).slice(0, 24);
      const push = (key: string, pass: string | undefined) =>
        lading(
          [
            'push',
            `${registry.host}/good:1`,
            `docker://${registry.host}/good:1`,
            '--insecure',
            '--sign-key',
            key,
          ],
          {
            env: { ...env(), ...(pass !== undefined ? { LADING_PASSPHRASE: pass } : {}) },
          },
        );
      const results = [
        ['WRONG_PASSPHRASE', await push(p('cosign.key'), 'not the passphrase')],
        ['public key', await push(p('cosign.pub'), passphrase)],
        ['public key', await push(p('me.pub.asc'), passphrase)],
        ['neither', await push(p('policy.json'), passphrase)],
      ] as const;
      for (const [why, r] of results) {
        expect(r.code, `${why}: ${r.stderr}`).toBe(3);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        for (const secret of [passphrase, 'not the passphrase', keyBody, armoredBody]) {
          expect(r.stdout + r.stderr).not.toContain(secret);
        }
      }
      expect(results[0][1].stderr).toMatch(/passphrase does not unlock it/);
      // a passphrase file: its first line
      await writeFile(p('pass.txt'), `${passphrase}\nignored\n`);
      const viaFile = await lading(
        [
          'push',
          `${registry.host}/good:1`,
          `docker://${registry.host}/good:1`,
          '--insecure',
          '--sign-key',
          p('cosign.key'),
          '--passphrase-file',
          p('pass.txt'),
        ],
        { env: env() },
      );
      expect(viaFile.code, viaFile.stderr).toBe(0);
      // verify refuses a private key as --key
      const priv = await lading(
        ['verify', `docker://${registry.host}/good:1`, '--key', p('cosign.key'), '--insecure'],
        { env: env() },
      );
      expect(priv.code).toBe(3);
      expect(priv.stdout + priv.stderr).not.toContain(keyBody);
    });
  },
);
