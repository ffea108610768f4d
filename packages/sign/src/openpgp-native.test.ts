// The native OpenPGP signer against gpg: keys gpg makes, messages gpg and openpgp.js verify, and openpgp.js not
// loaded on the way. Keys are made once (RSA-3072 takes gpg a while).
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Digest } from '@lading/digest';
import { inCI, makeGpgKey, makeTempDir, run, type TempDir } from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkOpenPgp,
  decodePayload,
  loadSigningKey,
  readOpenPgpPrivateKey,
  readOpenPgpPublicKeys,
} from './index.js';
import { isOpenPgpLoaded } from './openpgp-keys.js';

let haveGpg = true;
try {
  execFileSync('gpg', ['--version'], { stdio: 'ignore' });
} catch {
  if (inCI) throw new Error('gpg is required (apt-get install gnupg)');
  haveGpg = false;
}

const digest = `sha256:${'ab'.repeat(32)}` as Digest;
const reference = 'registry.example/app:1';
const passphrase = 'correct horse battery';

interface GpgKey {
  readonly home: string;
  readonly fpr: string;
  readonly secret: string;
  readonly public: Uint8Array;
}

describe.skipIf(!haveGpg)('the native OpenPGP signer, against gpg', () => {
  let tmp: TempDir;
  const homes: string[] = [];
  const gpg = (home: string, args: string[]) => run('gpg', ['--homedir', home, '--batch', ...args]);

  async function makeKey(name: string, algo: string, pass = '', signSubkey?: string): Promise<GpgKey> {
    const home = join(tmp.path, name);
    homes.push(home);
    const key = await makeGpgKey(home, name, {
      algo,
      passphrase: pass,
      ...(signSubkey ? { signSubkey } : {}),
    });
    return {
      home,
      fpr: key.fingerprint,
      secret: key.secretArmored,
      public: new TextEncoder().encode(key.publicArmored),
    };
  }

  /** gpg's verdict: the payload it prints and the fingerprints of its VALIDSIG status line. */
  async function gpgVerifies(key: GpgKey, blob: Uint8Array) {
    const file = join(key.home, `sig-${Math.random().toString(36).slice(2)}`);
    await writeFile(file, blob);
    const out = `${file}.out`;
    const res = await gpg(key.home, ['--status-fd', '1', '--output', out, '--decrypt', file]);
    const status = res.stdout.split('\n');
    const valid = status.find((l) => l.startsWith('[GNUPG:] VALIDSIG '))?.split(' ');
    return {
      payload: new Uint8Array(await readFile(out)),
      goodsig: status.some((l) => l.startsWith('[GNUPG:] GOODSIG ')),
      signer: valid?.[2],
      primary: valid?.[11],
    };
  }

  let rsa: GpgKey;
  let rsaPass: GpgKey;
  let ed: GpgKey;
  let edPass: GpgKey;
  let edSub: GpgKey;
  let p256: GpgKey;

  beforeAll(async () => {
    tmp = await makeTempDir('lading-native-pgp-');
    [rsa, rsaPass, ed, edPass, edSub, p256] = await Promise.all([
      makeKey('rsa', 'rsa3072'),
      makeKey('rsapass', 'rsa3072', passphrase),
      makeKey('ed', 'ed25519'),
      makeKey('edpass', 'ed25519', passphrase),
      makeKey('edsub', 'ed25519', passphrase, 'ed25519'),
      makeKey('p256', 'nistp256'),
    ]);
  }, 180_000);

  afterAll(async () => {
    await Promise.all(
      homes.map((h) => run('gpgconf', ['--homedir', h, '--kill', 'gpg-agent'], { allowFailure: true })),
    );
    await tmp?.cleanup();
  });

  const signed = new Map<string, Uint8Array>();

  it('signs with gpg-made RSA and Ed25519 keys, with and without a passphrase, without loading openpgp.js', async () => {
    for (const [name, key] of Object.entries({ rsa, rsaPass, ed, edPass, edSub })) {
      const signer = await loadSigningKey(key.secret, { passphrase, source: name });
      expect(signer.description).toBe(`OpenPGP key ${key.fpr}`);
      const sig = await signer.sign(digest, reference, { timestamp: 1 });
      if (sig.format !== 'simple-signing') throw new Error('not a simple signature');
      signed.set(name, sig.blob);
    }
    expect(isOpenPgpLoaded()).toBe(false);
  });

  it.each(['rsa', 'rsaPass', 'ed', 'edPass', 'edSub'])(
    '%s: gpg and openpgp.js verify the message',
    async (name) => {
      const key = { rsa, rsaPass, ed, edPass, edSub }[name] as GpgKey;
      const blob = signed.get(name) as Uint8Array;
      const seen = await gpgVerifies(key, blob);
      expect(seen.goodsig).toBe(true);
      expect(seen.primary).toBe(key.fpr);
      expect(decodePayload(seen.payload, 'atomic container signature')).toMatchObject({
        manifestDigest: digest,
        dockerReference: reference,
      });
      const check = await checkOpenPgp(blob, await readOpenPgpPublicKeys(key.public, name));
      expect(check).toMatchObject({ result: 'valid', fingerprint: key.fpr });
      expect(check.result === 'valid' && Buffer.from(check.payload).equals(Buffer.from(seen.payload))).toBe(
        true,
      );
    },
  );

  it('the message is one-pass signature, binary literal data, v4 signature over SHA-256, as gpg lists it', async () => {
    for (const [name, algo] of [
      ['rsa', 1],
      ['ed', 22],
    ] as const) {
      const file = join(tmp.path, `${name}.sig`);
      await writeFile(file, signed.get(name) as Uint8Array);
      const text = (await gpg(rsa.home, ['--list-packets', file])).stdout;
      const tags = [...text.matchAll(/^# off=\d+ ctb=\w+ tag=(\d+)/gm)].map((m) => Number(m[1]));
      expect(tags).toEqual([4, 11, 2]);
      expect(text).toContain(`version 3, sigclass 0x00, digest 8, pubkey ${algo}, last=1`);
      expect(text).toMatch(/mode b \(62\), created \d+, name="",/);
      expect(text).toMatch(/version 4, created \d+, md5len 0, sigclass 0x00\s+digest algo 8,/);
      expect(text).toMatch(
        /\n\thashed subpkt 2 len 4 \(sig created [^)]+\)\n\thashed subpkt 33 len 21 \(issuer fpr v4 [0-9A-F]{40}\)\n\tsubpkt 16 len 8 \(issuer key ID [0-9A-F]{16}\)\n/,
      );
    }
  });

  it('a key with a signing subkey signs with the subkey, as gpg does', async () => {
    const seen = await gpgVerifies(edSub, signed.get('edSub') as Uint8Array);
    const subkeys = (await gpg(edSub.home, ['--list-keys', '--with-colons'])).stdout.split('\n');
    // the subkey gpg itself would sign with: the newest one with the "s" capability
    const subIndex = subkeys.findIndex((l) => l.startsWith('sub:') && l.split(':')[11]?.includes('s'));
    const subFpr = subkeys[subIndex + 1]?.split(':')[9];
    expect(subFpr).toMatch(/^[0-9A-F]{40}$/);
    expect(seen.signer).toBe(subFpr);
    expect(seen.signer).not.toBe(edSub.fpr);
  });

  it('a wrong or missing passphrase: typed errors that name neither it nor the key', async () => {
    for (const key of [rsaPass, edPass]) {
      const wrong = await loadSigningKey(key.secret, { passphrase: 'not it at all' }).catch((e) => e);
      expect(wrong.code).toBe('WRONG_PASSPHRASE');
      expect(String(wrong.message)).not.toMatch(/not it at all|correct horse|BEGIN|[A-Za-z0-9+/]{40}/);
      const missing = await loadSigningKey(key.secret).catch((e) => e);
      expect(missing.code).toBe('PASSPHRASE_REQUIRED');
    }
  });

  it('a corrupted armor checksum is KEY_INVALID', async () => {
    const lines = ed.secret.split('\n');
    const at = lines.findIndex((l) => /^=[A-Za-z0-9+/]{4}$/.test(l));
    expect(at).toBeGreaterThan(0);
    const line = lines[at] as string;
    lines[at] = `=${line[1] === 'A' ? 'B' : 'A'}${line.slice(2)}`;
    const err = await loadSigningKey(lines.join('\n')).catch((e) => e);
    expect(err.code).toBe('KEY_INVALID');
    // and a changed body under the original checksum
    const body = ed.secret.split('\n');
    const mid = body.findIndex((l) => l.length > 60);
    const l = body[mid] as string;
    body[mid] = `${l.slice(0, 30)}${l[30] === 'Q' ? 'R' : 'Q'}${l.slice(31)}`;
    expect((await loadSigningKey(body.join('\n')).catch((e) => e)).code).toBe('KEY_INVALID');
  });

  it('an expired key is left to openpgp.js, which refuses to sign with it as before', async () => {
    const home = join(tmp.path, 'expired');
    await mkdir(home, { mode: 0o700 });
    homes.push(home);
    const past = [
      '--faked-system-time',
      '20200101T000000!',
      '--pinentry-mode',
      'loopback',
      '--passphrase',
      '',
    ];
    await gpg(home, [...past, '--quick-gen-key', 'old <old@example.com>', 'ed25519', 'default', '1d']);
    const secret = (await gpg(home, [...past, '--armor', '--export-secret-keys'])).stdout;
    expect(secret).toContain('BEGIN PGP PRIVATE KEY BLOCK');
    expect((await readOpenPgpPrivateKey(secret)).native).toBeUndefined();
    const signer = await loadSigningKey(secret);
    await expect(signer.sign(digest, reference)).rejects.toThrow(/expired/i);
  });

  it('a key it does not handle (ECDSA P-256) still signs, through openpgp.js, and gpg verifies it', async () => {
    expect((await readOpenPgpPrivateKey(p256.secret)).native).toBeUndefined();
    expect((await readOpenPgpPrivateKey(rsa.secret)).native).toBeDefined();
    const signer = await loadSigningKey(p256.secret);
    const sig = await signer.sign(digest, reference);
    if (sig.format !== 'simple-signing') throw new Error('not a simple signature');
    const seen = await gpgVerifies(p256, sig.blob);
    expect(seen.goodsig).toBe(true);
    expect(seen.primary).toBe(p256.fpr);
  });
});
