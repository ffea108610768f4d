// The native signer's S2K and CFB beyond what gpg exports (gpg always writes AES-128 with iterated SHA-1): keys
// openpgp.js makes (AES-256, iterated SHA-256), and keys re-protected here with other ciphers, hashes and the
// salted S2K. The oracles: openpgp.js unlocks the same bytes with the same passphrase, and gpg verifies the
// native signatures.

import { execFileSync } from 'node:child_process';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Digest } from '@lading/digest';
import { inCI, makeTempDir, run, type TempDir } from '@lading/testkit';
import { armor, decryptKey, enums, generateKey, readPrivateKey } from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOpenPgp, loadSigningKey, readOpenPgpPrivateKey, readOpenPgpPublicKeys } from './index.js';

let haveGpg = true;
try {
  execFileSync('gpg', ['--version'], { stdio: 'ignore' });
} catch {
  if (inCI) throw new Error('gpg is required (apt-get install gnupg)');
  haveGpg = false;
}

const digest = `sha256:${'cd'.repeat(32)}` as Digest;
const passphrase = 'pässphrase';

/** New-format packets (what openpgp.js writes). */
function packets(data: Uint8Array): { tag: number; body: Buffer }[] {
  const out: { tag: number; body: Buffer }[] = [];
  const b = Buffer.from(data);
  let at = 0;
  while (at < b.length) {
    const tag = (b[at++] as number) & 0x3f;
    const first = b[at++] as number;
    let len: number;
    if (first < 192) len = first;
    else if (first < 224) len = ((first - 192) << 8) + (b[at++] as number) + 192;
    else {
      len = b.readUInt32BE(at);
      at += 4;
    }
    out.push({ tag, body: b.subarray(at, at + len) });
    at += len;
  }
  return out;
}

const header = (tag: number, n: number) =>
  Buffer.from([0xc0 | tag, 255, n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);

/** Where the public fields of a v4 key packet end: RSA n, e; EdDSA OID, point; ECDH OID, point, KDF. */
function publicLength(body: Buffer): number {
  let at = 6;
  const mpi = () => {
    at += 2 + ((body.readUInt16BE(at) + 7) >> 3);
  };
  const algo = body[5];
  if (algo === 1) {
    mpi();
    mpi();
  } else if (algo === 22 || algo === 18) {
    at += 1 + (body[at] as number);
    mpi();
    if (algo === 18) at += 1 + (body[at] as number);
  } else throw new Error(`algorithm ${algo}`);
  return at;
}

interface Protection {
  cipher: 7 | 8 | 9;
  hash: 2 | 8 | 10;
  specifier: 1 | 3;
}

/** RFC 4880 section 3.7.1.2/3.7.1.3, written out for the test. */
function deriveKey(p: Protection, salt: Buffer, countByte: number): Buffer {
  const keyLength = { 7: 16, 8: 24, 9: 32 }[p.cipher];
  const hash = { 2: 'sha1', 8: 'sha256', 10: 'sha512' }[p.hash];
  const data = Buffer.concat([salt, Buffer.from(passphrase, 'utf8')]);
  let input = data;
  if (p.specifier === 3) {
    const count = Math.max(data.length, (16 + (countByte & 15)) << ((countByte >> 4) + 6));
    input = Buffer.alloc(count);
    for (let i = 0; i < count; i += data.length) data.copy(input, i, 0, Math.min(data.length, count - i));
  }
  let out = Buffer.alloc(0);
  for (let i = 0; out.length < keyLength; i++) {
    out = Buffer.concat([out, createHash(hash).update(Buffer.alloc(i)).update(input).digest()]);
  }
  return out.subarray(0, keyLength);
}

/** Every secret key packet of an unprotected key, protected (S2K usage 254) as `p` says. */
function protect(binary: Uint8Array, p: Protection): string {
  const parts = packets(binary).map(({ tag, body }) => {
    if (tag !== 5 && tag !== 7) return Buffer.concat([header(tag, body.length), body]);
    const pub = publicLength(body);
    if (body[pub] !== 0) throw new Error('expected an unprotected key');
    const secret = body.subarray(pub + 1, body.length - 2);
    const salt = randomBytes(8);
    const countByte = 0x60;
    const iv = randomBytes(16);
    const name = { 7: 'aes-128-cfb', 8: 'aes-192-cfb', 9: 'aes-256-cfb' }[p.cipher];
    const c = createCipheriv(name, deriveKey(p, salt, countByte), iv);
    const plain = Buffer.concat([secret, createHash('sha1').update(secret).digest()]);
    const s2k = Buffer.from(
      p.specifier === 3 ? [p.specifier, p.hash, ...salt, countByte] : [p.specifier, p.hash, ...salt],
    );
    const out = Buffer.concat([
      body.subarray(0, pub),
      Buffer.from([254, p.cipher]),
      s2k,
      iv,
      c.update(plain),
      c.final(),
    ]);
    return Buffer.concat([header(tag, out.length), out]);
  });
  return armor(enums.armor.privateKey, Buffer.concat(parts));
}

describe.skipIf(!haveGpg)('native S2K and CFB, against openpgp.js and gpg', () => {
  let tmp: TempDir;
  let home: string;
  const gpg = (args: string[]) => run('gpg', ['--homedir', home, '--batch', ...args]);

  beforeAll(async () => {
    tmp = await makeTempDir('lading-native-s2k-');
    home = join(tmp.path, 'gpg');
    await mkdir(home, { mode: 0o700 });
  });
  afterAll(async () => {
    await run('gpgconf', ['--homedir', home, '--kill', 'gpg-agent'], { allowFailure: true });
    await tmp?.cleanup();
  });

  async function signsAndVerifies(armored: string, pub: string, fingerprint: string) {
    const key = await readOpenPgpPrivateKey(armored, { passphrase });
    expect(key.native).toBeDefined();
    const sig = await (await loadSigningKey(armored, { passphrase })).sign(digest, 'example.com/a:1');
    if (sig.format !== 'simple-signing') throw new Error('not simple signing');
    const pubBytes = new TextEncoder().encode(pub);
    expect(await checkOpenPgp(sig.blob, await readOpenPgpPublicKeys(pubBytes, 'pub'))).toMatchObject({
      result: 'valid',
      fingerprint,
    });
    await writeFile(join(home, 'pub.asc'), pub);
    await gpg(['--import', join(home, 'pub.asc')]);
    const file = join(home, 'sig');
    await writeFile(file, sig.blob);
    const res = await gpg(['--status-fd', '1', '--output', `${file}.out`, '--yes', '--decrypt', file]);
    expect(res.stdout).toMatch(new RegExp(`^\\[GNUPG:\\] VALIDSIG .* ${fingerprint}$`, 'm'));
    expect(JSON.parse(await readFile(`${file}.out`, 'utf8')).critical.image['docker-manifest-digest']).toBe(
      digest,
    );
  }

  for (const type of ['rsa', 'ecc'] as const) {
    it(`${type}: a key openpgp.js made and protected (AES-256, iterated SHA-256)`, async () => {
      const made = await generateKey({
        type,
        ...(type === 'rsa' ? { rsaBits: 2048 } : { curve: 'ed25519Legacy' as const }),
        userIDs: [{ name: type, email: `${type}@example.com` }],
        passphrase,
      });
      const fpr = (await readPrivateKey({ armoredKey: made.privateKey })).getFingerprint().toUpperCase();
      await signsAndVerifies(made.privateKey, made.publicKey, fpr);
    });
  }

  const protections: Protection[] = [
    { cipher: 8, hash: 10, specifier: 1 },
    { cipher: 7, hash: 8, specifier: 3 },
    { cipher: 9, hash: 2, specifier: 3 },
    { cipher: 9, hash: 10, specifier: 3 },
  ];
  for (const p of protections) {
    it(`cipher ${p.cipher}, hash ${p.hash}, S2K ${p.specifier}: openpgp.js unlocks it, and so does the native signer`, async () => {
      const made = await generateKey({
        type: 'ecc',
        curve: 'ed25519Legacy',
        userIDs: [{ name: 'p', email: 'p@example.com' }],
        format: 'binary',
      });
      const armored = protect(made.privateKey, p);
      const locked = await readPrivateKey({ armoredKey: armored });
      expect(locked.isDecrypted()).toBe(false);
      const unlocked = await decryptKey({ privateKey: locked, passphrase });
      const fpr = unlocked.getFingerprint().toUpperCase();
      const wrong = await loadSigningKey(armored, { passphrase: 'other' }).catch((e) => e);
      expect(wrong.code).toBe('WRONG_PASSPHRASE');
      await signsAndVerifies(armored, unlocked.toPublic().armor(), fpr);
    });
  }
});
